/** What an error message may keep (shared/redact.ts): no request bodies, nothing secret-shaped, one bounded line. */
import { randomPassword } from '../../shared/graph/graphActions';
import { redactSecrets } from '../../shared/redact';

describe('redactSecrets', () => {
    it('keeps what a person needs: Graph codes, GUIDs, statuses, times, AADSTS codes', () => {
        const text =
            "Insufficient privileges to complete the operation. (403 Authorization_RequestDenied) Resource '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d' does not exist; AADSTS50020 at 2026-11-02T09:00:00.000Z; error code: 403";
        expect(redactSecrets(text, 1000)).toBe(text);
    });

    it('removes a request body a service echoed, and every generated password, whatever the wording', () => {
        for (let i = 0; i < 50; i++) {
            const password = randomPassword();
            const echoes = [
                `Invalid value: ${JSON.stringify({ passwordProfile: { password, forceChangePasswordNextSignIn: true } })}`,
                `The password ${password} does not meet the complexity requirements`,
                `password=${password}&x=1`,
                `'password': '${password}'`,
            ];
            for (const echo of echoes) {
                const out = redactSecrets(echo, 500);
                expect(out).not.toContain(password);
                expect(out).toMatch(/\[redacted\]|\{…\}/);
            }
        }
    });

    it('removes a value the caller knows it sent, even when it looks like nothing', () => {
        expect(redactSecrets('rejected hunter2 as weak', 100, ['hunter2'])).toBe('rejected [redacted] as weak');
    });

    it('removes URL queries (a webhook signature), bearer tokens and JWTs', () => {
        const out = redactSecrets(
            'POST https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=AbCdEf123456xyz failed; Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwcyJ9.fake; code=abc123',
            1000,
        );
        expect(out).not.toMatch(/sig=|AbCdEf123456xyz|eyJ0eXAi|abc123/);
        expect(out).toContain(
            'https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?[redacted]',
        );
        // A key in a URL's path (Slack-style webhooks) goes too; the host stays.
        expect(redactSecrets('POST https://hooks.example.com/services/T0001/B0002/Xk9mQ2vR7tLp4Wz8 failed', 200)).toBe(
            'POST https://hooks.example.com/services/T0001/B0002/[redacted] failed',
        );
    });

    it('is one line, without controls or bidirectional overrides, and bounded', () => {
        const out = redactSecrets(`line1\nline2\u202e\u200bevil\r\n${'x'.repeat(1000)}`, 50);
        expect(out).not.toMatch(/[\n\r\u202e\u200b]/);
        expect(Array.from(out)).toHaveLength(50);
        expect(out.endsWith('…')).toBe(true);
    });
});
