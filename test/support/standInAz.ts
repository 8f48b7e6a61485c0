import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** One answer of the stand-in: for a call whose arguments (joined by spaces) match, print this and exit so. */
export interface AzAnswer {
    readonly match: RegExp;
    readonly stdout?: string;
    readonly stderr?: string;
    readonly exitCode?: number;
}

export interface StandInAz {
    /** Put first on PATH so that the scripts under test run this `az` instead of the Azure CLI. */
    readonly binDir: string;
    /** Every call, in order, as its argument list. */
    calls(): string[][];
    /** An environment whose PATH finds the stand-in first. */
    env(extra?: Record<string, string>): NodeJS.ProcessEnv;
    close(): void;
}

const SCRIPT = `#!/usr/bin/env node
const fs = require('node:fs');
const dir = __dirname;
const args = process.argv.slice(2);
fs.appendFileSync(dir + '/calls.jsonl', JSON.stringify(args) + '\\n');
const answers = JSON.parse(fs.readFileSync(dir + '/answers.json', 'utf8'));
const line = args.join(' ');
const answer = answers.find((a) => new RegExp(a.match, a.flags).test(line));
if (!answer) {
  process.stderr.write('stand-in ' + require('node:path').basename(__filename) + ': no answer for: ' + line + '\\n');
  process.exit(3);
}
if (answer.stdout) process.stdout.write(answer.stdout);
if (answer.stderr) process.stderr.write(answer.stderr);
process.exit(answer.exitCode ?? 0);
`;

/**
 * A stand-in for the Azure CLI (`az`), or another command such as `azd`, that answers from a list, first match wins,
 * and records every call: the shell scripts in infra/scripts are tested with it, offline. A call nothing matches fails with exit code 3, so a script
 * that makes an unexpected call fails its test.
 */
export function startStandInAz(answers: readonly AzAnswer[], command = 'az'): StandInAz {
    const binDir = mkdtempSync(join(tmpdir(), `mfa-${command}-`));
    writeFileSync(
        join(binDir, 'answers.json'),
        JSON.stringify(answers.map((a) => ({ ...a, match: a.match.source, flags: a.match.flags }))),
    );
    writeFileSync(join(binDir, 'calls.jsonl'), '');
    writeFileSync(join(binDir, command), SCRIPT);
    chmodSync(join(binDir, command), 0o755);
    return {
        binDir,
        calls: () =>
            readFileSync(join(binDir, 'calls.jsonl'), 'utf8')
                .split('\n')
                .filter(Boolean)
                .map((l) => JSON.parse(l) as string[]),
        env: (extra = {}) => ({ ...process.env, PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`, ...extra }),
        close: () => rmSync(binDir, { recursive: true, force: true }),
    };
}
