package sandbox

// ec2NetworkHandlers serve the EC2 networking actions (VPCs, subnets,
// security groups, AZs, ENIs, tags).
func ec2NetworkHandlers() map[string]queryHandler {
	return map[string]queryHandler{}
}
