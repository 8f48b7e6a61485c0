/**
 * Conditional Access named locations and policies in the local Graph, as Graph v1.0 documents them:
 * - GET /identity/conditionalAccess/namedLocations/{id}: 200, the location with `@odata.type`, `modifiedDateTime`
 *   and `ipRanges` (namedlocation-get); 404 for an unknown id;
 * - PATCH the same: `@odata.type` #microsoft.graph.ipNamedLocation required, `ipRanges` REPLACES the whole collection
 *   (microsoftgraph/microsoft-graph-docs-contrib#8569), 204 with no body (ipnamedlocation-update); 400 for a range
 *   that is not CIDR, a mask of /8 or wider, a private range, no range at all, or more than 2,000
 *   (https://learn.microsoft.com/entra/identity/conditional-access/concept-assignment-network);
 * - POST namedLocations and POST policies: 201 with the created object (setup).
 * Graph documents no ETag or If-Match for named locations: none is returned, an If-Match header changes nothing, and
 * the last PATCH wins, which is what makes a read-modify-write without serialisation lose updates.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import { isPublic, parseIp } from '../../shared/network/ipAddress';

export interface FakeNamedLocation {
    displayName: string;
    isTrusted: boolean;
    ranges: string[];
    createdDateTime: string;
    modifiedDateTime: string;
}

export interface FakeCaPolicy {
    id: string;
    displayName: string;
    state: string;
    userActions: string[];
    /** Set for a policy created through Graph (setup): what it was created with. */
    created?: Record<string, unknown>;
}

interface Helpers {
    readonly ok: (res: ServerResponse, body: unknown, status?: number) => number;
    readonly noContent: (res: ServerResponse) => number;
    readonly notFound: (res: ServerResponse, id: string) => number;
    readonly badRequest: (res: ServerResponse, message: string) => number;
    readonly baseUrl: () => string;
}

const GUID = '[0-9a-fA-F-]{36}';

/** Why Graph refuses a range, or undefined when it takes it (the location-condition rules, checked as Graph does). */
function refusal(range: unknown): string | undefined {
    const r = range as { '@odata.type'?: unknown; cidrAddress?: unknown } | null;
    const type = r?.['@odata.type'];
    const cidr = typeof r?.cidrAddress === 'string' ? r.cidrAddress : '';
    const [addr, bits] = cidr.split('/');
    const ip = parseIp(addr);
    if (!ip || bits === undefined || !/^\d{1,3}$/.test(bits)) return `'${cidr}' is not a valid CIDR range`;
    const expected = ip.version === 4 ? '#microsoft.graph.iPv4CidrRange' : '#microsoft.graph.iPv6CidrRange';
    if (type !== expected) return `'${cidr}' must be a ${expected.replace('#microsoft.graph.', '')}`;
    const prefix = Number(bits);
    if (prefix > (ip.version === 4 ? 32 : 128)) return `'${cidr}' is not a valid CIDR range`;
    if (prefix <= 8) return `'${cidr}': only CIDR masks greater than /8 are allowed`;
    if (!isPublic(ip)) return `'${cidr}': private IP ranges cannot be configured`;
    return undefined;
}

function view(id: string, l: FakeNamedLocation, baseUrl: string): Record<string, unknown> {
    return {
        '@odata.context': `${baseUrl}/v1.0/$metadata#identity/conditionalAccess/namedLocations/$entity`,
        '@odata.type': '#microsoft.graph.ipNamedLocation',
        id,
        displayName: l.displayName,
        modifiedDateTime: l.modifiedDateTime,
        createdDateTime: l.createdDateTime,
        isTrusted: l.isTrusted,
        ipRanges: l.ranges.map((c) => ({
            '@odata.type': c.includes(':') ? '#microsoft.graph.iPv6CidrRange' : '#microsoft.graph.iPv4CidrRange',
            cidrAddress: c,
        })),
    };
}

/** The ranges of a create or update body, or why Graph refuses them. */
function rangesOf(body: Record<string, unknown>): string[] | string {
    if (body['@odata.type'] !== '#microsoft.graph.ipNamedLocation') {
        return "The '@odata.type' of an IP named location must be '#microsoft.graph.ipNamedLocation'.";
    }
    const ranges = body.ipRanges;
    if (!Array.isArray(ranges) || ranges.length === 0) return 'ipRanges is required and must hold at least one range.';
    if (ranges.length > 2000) return 'An IP named location holds at most 2000 IP ranges.';
    for (const r of ranges) {
        const why = refusal(r);
        if (why) return why;
    }
    return ranges.map((r) => (r as { cidrAddress: string }).cidrAddress);
}

/**
 * The named-location and policy routes; undefined when the request is not one of them. `locations` and `policies`
 * are the fake's state, which tests read and change directly.
 */
export function namedLocationRoute(
    state: { locations: Map<string, FakeNamedLocation>; policies: FakeCaPolicy[] },
    h: Helpers,
): (method: string, path: string, query: URLSearchParams, body: unknown, res: ServerResponse) => number | undefined {
    return (method, path, query, body, res) => {
        const item = new RegExp(`^/v1\\.0/identity/conditionalAccess/namedLocations/(${GUID})$`).exec(path);
        if (item) {
            const id = item[1]!.toLowerCase();
            const l = state.locations.get(id);
            if (method === 'GET') return l ? h.ok(res, view(id, l, h.baseUrl())) : h.notFound(res, id);
            if (method !== 'PATCH') return undefined;
            if (!l) return h.notFound(res, id);
            const b = (body ?? {}) as Record<string, unknown>;
            const ranges = rangesOf(b);
            if (typeof ranges === 'string') return h.badRequest(res, ranges);
            l.ranges = ranges;
            if (typeof b.displayName === 'string') l.displayName = b.displayName;
            if (typeof b.isTrusted === 'boolean') l.isTrusted = b.isTrusted;
            l.modifiedDateTime = new Date().toISOString();
            return h.noContent(res);
        }
        if (method === 'GET' && path === '/v1.0/identity/conditionalAccess/namedLocations') {
            const name = /^displayName eq '(.*)'$/.exec(query.get('$filter') ?? '')?.[1]?.replace(/''/g, "'");
            const value = [...state.locations]
                .filter(([, l]) => name === undefined || l.displayName === name)
                .map(([id, l]) => {
                    const { '@odata.context': _context, ...rest } = view(id, l, h.baseUrl());
                    return rest;
                });
            return h.ok(res, {
                '@odata.context': `${h.baseUrl()}/v1.0/$metadata#identity/conditionalAccess/namedLocations`,
                value,
            });
        }
        if (method === 'POST' && path === '/v1.0/identity/conditionalAccess/namedLocations') {
            const b = (body ?? {}) as Record<string, unknown>;
            const ranges = rangesOf(b);
            if (typeof ranges === 'string') return h.badRequest(res, ranges);
            if (typeof b.displayName !== 'string' || b.displayName === '')
                return h.badRequest(res, 'displayName is required.');
            const id = randomUUID();
            const now = new Date().toISOString();
            const l: FakeNamedLocation = {
                displayName: b.displayName,
                isTrusted: b.isTrusted === true,
                ranges,
                createdDateTime: now,
                modifiedDateTime: now,
            };
            state.locations.set(id, l);
            return h.ok(res, view(id, l, h.baseUrl()), 201);
        }
        if (method === 'POST' && path === '/v1.0/identity/conditionalAccess/policies') {
            const b = (body ?? {}) as Record<string, unknown>;
            if (typeof b.displayName !== 'string' || typeof b.state !== 'string' || !b.conditions || !b.grantControls) {
                return h.badRequest(res, 'displayName, state, conditions and grantControls are required.');
            }
            const id = randomUUID();
            state.policies.push({ id, displayName: b.displayName, state: b.state, userActions: [], created: b });
            return h.ok(
                res,
                {
                    '@odata.context': `${h.baseUrl()}/v1.0/$metadata#identity/conditionalAccess/policies/$entity`,
                    id,
                    ...b,
                },
                201,
            );
        }
        return undefined;
    };
}
