package sandbox

// stsHandlers serve GetCallerIdentity.
func stsHandlers() map[string]queryHandler {
	return map[string]queryHandler{}
}
