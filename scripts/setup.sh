#!/bin/sh
# Placeholder replaced below.
