#!/usr/bin/env node
// Entry point of the agent runner; the host spawns it and speaks the run protocol on stdin/stdout.
import "../dist/main.js";
