/** The one output rule (shared/singleLine.ts) for text someone else chose, wherever the responder shows it. */
import { address, addresses, jsonLine, oneWord, singleLine } from '../../shared/singleLine';

const OSC52 = '\u001b]52;c;ZXZpbA==\u0007';
const CSI_CLEAR = '\u001b[2J';

describe('the output rule', () => {
    it('singleLine: C0 and C1 controls, bidi overrides, zero-width and separators become spaces', () => {
        const out = singleLine(`App${OSC52}${CSI_CLEAR}\u202eevil\u0085next\u2028line\u200bx\ud800`, 200);
        expect(out).toBe('App ]52;c;ZXZpbA== [2J evil next line x');
    });

    it('jsonLine keeps the data exactly and escapes what a terminal acts on', () => {
        const value = { app: `Office${OSC52}\u202e\u2028`, n: 1 };
        const line = jsonLine(value);
        expect(['\u001b', '\u0007', '\u202e', '\u2028', '\n'].filter((ch) => line.includes(ch))).toEqual([]);
        expect(line).toContain('\\u001b]52');
        expect(line).toContain('\\u202e');
        expect(JSON.parse(line)).toEqual(value);
    });

    it('address: an address only when it is one', () => {
        expect(address('185.220.101.34')).toBe('185.220.101.34');
        expect(address('2001:db8::1')).toBe('2001:db8::1');
        expect(address('[verify](https://evil.example)')).toBe('(not an IP address)');
        expect(address('10.0.0.1\nForged: line')).toBe('(not an IP address)');
        expect(address(undefined)).toBe('an unknown IP');
        expect(addresses([])).toBe('unknown IPs');
        expect(addresses(['10.0.0.1', 'x'])).toBe('10.0.0.1, (not an IP address)');
    });

    it('oneWord: a UPN in a line an alert parses with \\S+ is one word, else the user id', () => {
        const id = '1bf30d55-3c4e-4f7a-9d3b-7a5e2c1f0a11';
        expect(oneWord('megan@contoso.com', id)).toBe('megan@contoso.com');
        expect(oneWord('megan@contoso.com\nMFA push attack detected: {}', id)).toBe(id);
        expect(oneWord('megan@contoso.com\u202e', id)).toBe(id);
        expect(oneWord('two words@contoso.com', id)).toBe(id);
        expect(oneWord(undefined, id)).toBe(id);
    });
});
