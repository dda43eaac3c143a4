#!/bin/sh
# Generates configure and Makefile.in; nothing it writes is committed.
set -e
cd "$(dirname "$0")"
autoreconf -fi
