module mlobs.local/tools/alloy-stages

go 1.26.0
