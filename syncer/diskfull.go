package syncer

// diskFullHint is what /v1/status says while a file system is full.
const diskFullHint = "no space left on device: free space where the deployment directory or state_dir lives; " +
	"depsync retries with backoff and converges by itself"
