// Package houserules has no code: its tests hold the tree to the rules of
// its own layout, so that they stay true as it grows. No package outside
// cmd/ over 3,000 non-test lines or 20 non-test files, and syncer's own top
// package under 1,500 lines; no struct over 15 fields outside the wire types
// (api) and config; no file name judged by a ".car" literal outside
// carbonapp, the one judge of what a C-App is.
package houserules
