package sandbox

// elbv2Handlers serve DescribeLoadBalancers and DescribeListeners.
func elbv2Handlers() map[string]queryHandler {
	return map[string]queryHandler{}
}
