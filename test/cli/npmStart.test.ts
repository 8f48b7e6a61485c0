/**
 * `npm start`, as the README's first command: the bundled attack replayed, told as a story (when it fired, how long
 * before the user gave in, what the responder would have done, where to go next), and no rebuild when nothing changed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function npmStart() {
    // The npm that runs this test run when there is one (`npm test`), else the one on PATH.
    const npm = process.env.npm_execpath;
    const [command, args] = npm ? [process.execPath, [npm, 'start', '--silent']] : ['npm', ['start', '--silent']];
    const started = Date.now();
    const run = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 50_000 });
    return { ...run, ms: Date.now() - started };
}

describe('npm start', () => {
    it('tells the story of the bundled attack, and builds nothing when dist/ is fresh', () => {
        // The test run's global setup built dist/ from these sources: npm start finds it fresh.
        const { status, stdout, stderr, ms } = npmStart();
        expect({ status, stderr: stderr.replace(/Azurite [^\n]*\n/g, '') }).toEqual({ status: 0, stderr: '' });
        expect(stdout).toMatch(/lead time: it fired at 09:14:45, 5 min 27 s before the user approved at 09:20:12/);
        expect(stdout).toMatch(
            /what the responder would do \(dry-run plan with these settings; CONTAINMENT_MODE=live does it\):\n {6}1\. check-exclusions: would /,
        );
        expect(stdout).toMatch(/ {6}3\. revoke-sessions: would revoke sign-in sessions\n/);
        expect(stdout).toMatch(/Next:\n {2}mfa-responder replay --html report\.html samples\/signins-attack\.ndjson/);
        expect(stdout).toMatch(/docs\/deploy\.md/);
        // No `tsc` run: a few seconds for Azurite and the replay, not the 11 s of a full build.
        expect(ms).toBeLessThan(20_000);
    }, 60_000);
});
