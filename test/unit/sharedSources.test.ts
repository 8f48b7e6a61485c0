/**
 * Sources many unrelated people share are no evidence of an attacker: a carrier's or a cloud's autonomous system never
 * makes an approval "from the attacking source", and a failed prompt of unknown outcome still counts for a campaign.
 */
import { outcomeOf } from '../../shared/campaign/sourcePrompts';
import { sourceMatch } from '../../shared/signin/networkSource';

describe('shared sources', () => {
    it('matches an autonomous system only when it is not a shared carrier or cloud network', () => {
        // Two CGNAT addresses of one mobile carrier (T-Mobile US, AS21928) in different /24s: unrelated people.
        expect(sourceMatch({ ipAddress: '172.56.10.1', asn: 21928 }, { ipAddress: '172.58.99.7', asn: 21928 })).toBe(
            undefined,
        );
        // Microsoft's own network (AS8075): Windows 365 and Azure egress, never one attacker.
        expect(sourceMatch({ ipAddress: '20.1.2.3', asn: 8075 }, { ipAddress: '40.9.8.7', asn: 8075 })).toBe(undefined);
        // A small hosting provider's autonomous system is still one source.
        expect(sourceMatch({ ipAddress: '45.141.87.19', asn: 64_500 }, { ipAddress: '45.141.90.2', asn: 64_500 })).toBe(
            'autonomous-system',
        );
        // The same address or /24 is the same source, whatever network it belongs to.
        expect(sourceMatch({ ipAddress: '172.56.10.1', asn: 21928 }, { ipAddress: '172.56.10.1', asn: 21928 })).toBe(
            'address',
        );
        expect(sourceMatch({ ipAddress: '172.56.10.1', asn: 21928 }, { ipAddress: '172.56.10.9', asn: 21928 })).toBe(
            'network',
        );
    });

    it("counts Entra's generic failed prompt (no step says why) as unanswered for a campaign, never as nothing", () => {
        expect(outcomeOf('prompt-failed')).toBe('t');
        expect(outcomeOf('push-timeout')).toBe('t');
        expect(outcomeOf('push-denied')).toBe('d');
    });
});
