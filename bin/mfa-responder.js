#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is TypeScript compiled to dist/ (npm ci runs the build through the prepare script).
const { main } = require('../dist/cli/main.js');

main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
}).then(
    (code) => {
        process.exitCode = code;
    },
    (e) => {
        process.stderr.write(`mfa-responder: ${(e && e.stack) || e}\n`);
        process.exitCode = 1;
    },
);
