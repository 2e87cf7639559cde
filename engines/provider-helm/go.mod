// Wrapper for hashicorp/terraform-provider-helm at the tag the stack pins.
// The module path has no /v3 suffix, so the v3.x tags are not Go module versions: the tagged
// commit is required by its pseudo-version (base v1.3.2 is the module's last valid semver tag).
// tag: v3.0.2
// commit: fdbda1bc0fbb97edf76a7d62d74ec0751abcfc0e (committed 2025-06-23T22:12:43Z)
// As of 2026-12-06 the Go module proxy reachable here answers 403 "This module version is not
// available" for this version (and for the commit hash), so there is no go.sum yet; see README.
module mlobs.local/engines/provider-helm

go 1.26.0

require github.com/hashicorp/terraform-provider-helm v1.3.3-0.20250623221243-fdbda1bc0fbb

tool github.com/hashicorp/terraform-provider-helm
