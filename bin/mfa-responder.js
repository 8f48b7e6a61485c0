#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm run build` (npm start builds it too).
let main;
try {
    ({ main } = require('../dist/cli/main.js'));
} catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/cli/main.js')) {
        process.stderr.write('mfa-responder: the CLI is not built yet: run `npm run build` in the repository first.\n');
        process.exit(1);
    }
    throw e;
}

// A reader that goes away (`mfa-responder replay --json big.ndjson | head -n 1`) is normal in a pipe: the CLI's
// writes see it as a closed output and stop quietly; this keeps the stream's own error event from crashing us.
for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => {
        if (e && e.code !== 'EPIPE') throw e;
    });
}

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
