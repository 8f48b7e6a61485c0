/** Network location entries read per row (Entra writes one or two); a hostile row with thousands is read for these. */
const MAX_NETWORK_LOCATIONS = 16;

/**
 * Whether `networkLocationDetails` says the sign-in came from a trusted named location. Read leniently and never a
 * reason to reject the row: a malformed list only means "not trusted", so the prompt still counts everywhere.
 * https://learn.microsoft.com/graph/api/resources/networklocationdetail
 */
export function fromTrustedLocation(value: unknown): boolean {
    if (!Array.isArray(value)) return false;
    return value.slice(0, MAX_NETWORK_LOCATIONS).some((entry) => {
        if (typeof entry !== 'object' || entry === null) return false;
        const type = (entry as { networkType?: unknown }).networkType;
        if (typeof type !== 'string') return false;
        const lower = type.toLowerCase();
        return lower === 'trusted' || lower === 'trustednamedlocation';
    });
}
