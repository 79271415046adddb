#!/bin/sh
# The article's entrypoint, unchanged: expands the command line in a shell, then execs it.
set -e
eval "exec $@"
