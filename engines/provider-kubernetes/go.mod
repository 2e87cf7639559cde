// Wrapper for hashicorp/terraform-provider-kubernetes at the tag the stack pins.
// The module path has no /v2 suffix, so the v2.x tags are not Go module versions: the tagged
// commit is required by its pseudo-version (base v1.13.4 is the module's last valid semver tag).
// tag: v2.38.0
// commit: be88f44271050f69d52f410bca388834afedfe71 (committed 2025-07-21T17:20:20Z)
// As of 2026-12-06 the Go module proxy reachable here answers 403 "This module version is not
// available" for this version (and for the commit hash), so there is no go.sum yet; see README.
module mlobs.local/engines/provider-kubernetes

go 1.26.0

require github.com/hashicorp/terraform-provider-kubernetes v1.13.5-0.20250721172020-be88f4427105

tool github.com/hashicorp/terraform-provider-kubernetes
