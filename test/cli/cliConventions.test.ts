/**
 * What a person typing `mfa-responder` expects of any command-line tool: help for each command with an example,
 * a version, a typo answered with the nearest flag, a mistake said in one line (never a stack trace), and a command
 * that waits on the keyboard saying so.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { CredentialUnavailableError, type TokenCredential } from '@azure/identity';

import { main } from '../../cli/main';
import { runCli } from '../support/cliRun';

const COMMANDS = ['replay', 'incidents', 'release', 'setup', 'doctor', 'drill'];
const SAMPLE = join(__dirname, '..', '..', 'samples', 'signins-attack.ndjson');
const oneLine = (text: string) => text.trim().split('\n').length === 1;

describe('help and version', () => {
    it.each(COMMANDS)(
        '%s: "help <command>" and "<command> --help" exit 0 with its flags and an example',
        async (command) => {
            const viaHelp = await runCli(['help', command]);
            const viaFlag = await runCli([command, '--help']);
            expect(viaHelp).toEqual({ code: 0, stdout: viaFlag.stdout, stderr: '' });
            expect(viaFlag.code).toBe(0);
            expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: mfa-responder ${command}`));
            expect(viaHelp.stdout).toMatch(new RegExp(`Examples:\\n  (az login && )?mfa-responder ${command}`));
            expect(viaHelp.stdout).toMatch(/Options:\n {2}--[a-z-]+/);
        },
    );

    it("lists every flag a command reads: replay's help names --threshold, --notices and --html", async () => {
        const { stdout } = await runCli(['replay', '-h']);
        for (const flag of ['--threshold N', '--window-minutes M', '--json', '--html FILE', '--notices DIR']) {
            expect(stdout).toContain(flag);
        }
    });

    it('"help" alone lists the commands and exits 0; no command at all prints the same to stderr and exits 2', async () => {
        const help = await runCli(['help']);
        expect(help.code).toBe(0);
        for (const c of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^ {2}${c} +\\S`, 'm'));
        const none = await runCli([]);
        expect(none).toEqual({ code: 2, stdout: '', stderr: help.stdout });
    });

    it('--version prints the package version', async () => {
        const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
        expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `mfa-responder ${version}\n`, stderr: '' });
    });
});

describe('mistakes in the command line', () => {
    it.each([
        [
            ['replay', '--thresold', '5', SAMPLE],
            /^mfa-responder: replay: unknown flag --thresold; did you mean --threshold\?/,
        ],
        [['replay', '--windowminutes', '5'], /unknown flag --windowminutes; did you mean --window-minutes\?/],
        [['doctor', '--jsn'], /unknown flag --jsn; did you mean --json\?/],
        [['replay', SAMPLE, '--threshold'], /--threshold needs a value \(N: push denials within the window/],
        [['replay', SAMPLE, '--window-minutes', '-5'], /--window-minutes needs a value .*, not "-5"/],
        [
            ['replay', SAMPLE, '--threshold', '5000'],
            /--threshold takes an integer from 1 to 1000 \(DENIAL_THRESHOLD\), not "5000"/,
        ],
        [['replay', SAMPLE, '--window-minutes', '0'], /--window-minutes takes an integer from 1 to 1440/],
        [['replay', SAMPLE, '--json=yes'], /--json takes no value/],
        [['incidents', 'extra'], /^mfa-responder: incidents: incidents takes no argument here/],
        [['replya'], /^mfa-responder: unknown command "replya"; did you mean replay\? Commands: replay, incidents/],
    ])('%j exits 2 with one line and no stack trace', async (args, message) => {
        const { code, stdout, stderr } = await runCli(args);
        expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
        expect(stderr).toMatch(message);
        expect(oneLine(stderr)).toBe(true);
        expect(stderr).not.toMatch(/\n\s+at /);
    });

    it('a folder given as input is named, with how to give the files in it', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'mfa-exports-dir-'));
        const { code, stderr } = await runCli(['replay', dir]);
        expect(code).toBe(66);
        expect(stderr).toBe(
            `mfa-responder: cannot read ${dir}: it is a folder; name the export files in it (mfa-responder replay ${dir}/*)\n`,
        );
    });
});

describe('replay with no file', () => {
    async function replayAtTerminal(isTTY: boolean) {
        const stdin = new PassThrough();
        Object.assign(stdin, { isTTY });
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        let err = '';
        stderr.on('data', (d: Buffer) => (err += d.toString()));
        stdout.resume();
        const running = main(['replay'], { stdin, stdout, stderr, env: {} });
        // What a person pastes, then Ctrl-D.
        stdin.end(readFileSync(SAMPLE));
        return { code: await running, stderr: err };
    }

    it('at a terminal, says it reads standard input and how to end it', async () => {
        const { code, stderr } = await replayAtTerminal(true);
        expect(code).toBe(0);
        expect(stderr).toMatch(/^Reading sign-in records from standard input: paste them, then press Ctrl-D/);
        expect(stderr).toMatch(/mfa-responder replay FILE/);
    });

    it('in a pipe, reads quietly', async () => {
        expect((await replayAtTerminal(false)).stderr).toBe('');
    });
});

describe('not signed in', () => {
    const unavailable: TokenCredential = {
        getToken: async () => {
            throw new CredentialUnavailableError(
                'ChainedTokenCredential authentication failed.\nCredentialUnavailableError: EnvironmentCredential is unavailable.',
            );
        },
    };
    const hanging: TokenCredential = { getToken: () => new Promise(() => undefined) };

    it.each([
        ['setup', ['setup']],
        ['doctor', ['doctor']],
        ['drill', ['drill', '--user', '00000000-0000-4000-8000-000000000001']],
    ])('%s says "not signed in" at once and exits 77', async (_, args) => {
        const started = Date.now();
        const { code, stderr } = await runCli(args, {
            credential: unavailable,
            env: { EventHubConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net', EVENTHUB_NAME: 'h' },
        });
        expect(Date.now() - started).toBeLessThan(3000);
        expect(code).toBe(77);
        expect(stderr).toMatch(
            /^mfa-responder: not signed in: run `az login` \(or run as the app's managed identity\)\. \(ChainedTokenCredential authentication failed\.\)\n$/,
        );
    });

    it('doctor honours --timeout when the sign-in never answers', async () => {
        const started = Date.now();
        const { code, stderr } = await runCli(['doctor', '--timeout', '1'], { credential: hanging });
        expect(Date.now() - started).toBeLessThan(4000);
        expect(code).toBe(77);
        expect(stderr).toMatch(/not signed in: .*no credential answered within 1 s/);
    });

    it('setup without any credential on this machine (no az, no managed identity) says so within seconds', async () => {
        const started = Date.now();
        const { code, stderr } = await runCli(['setup']);
        expect(code).toBe(77);
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(stderr).toMatch(/^mfa-responder: not signed in: run `az login`/);
        expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    });
});
