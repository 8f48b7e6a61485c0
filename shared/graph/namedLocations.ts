import type { Client } from '@microsoft/microsoft-graph-client';

import { ResponderError } from '../errors';
import { callGraph, CallGraphOptions } from './callGraph';
import { assertGuid } from './graphActions';

/**
 * The Microsoft Graph calls of source blocking (BLOCK_CAMPAIGN_SOURCES): read and replace the ranges of the one IP
 * named location a report-only block policy targets (`mfa-responder setup --block-sources` creates both).
 * https://learn.microsoft.com/graph/api/ipnamedlocation-get and ipnamedlocation-update: both need Policy.Read.All and
 * Policy.ReadWrite.ConditionalAccess. PATCH replaces the whole `ipRanges` collection and answers 204 with no body; Graph
 * documents no ETag or If-Match for named locations, so the caller serialises its writes (its own Table row, by ETag)
 * and reads back. A location holds at most 2,000 ranges, each wider than /8, none private
 * (https://learn.microsoft.com/entra/identity/conditional-access/concept-assignment-network).
 */
export interface IpNamedLocation {
    readonly id: string;
    readonly displayName: string;
    readonly isTrusted: boolean;
    /** CIDR ranges as Graph returns them (`cidrAddress`). */
    readonly ranges: readonly string[];
    readonly modifiedDateTime?: string;
}

/** The most ranges one IP named location holds (Graph refuses more). */
export const MAX_LOCATION_RANGES = 2000;

/** A range in Graph's shape: IPv4 or IPv6 CIDR, by its own @odata.type. */
export function ipRange(cidr: string): Record<string, string> {
    return {
        '@odata.type': cidr.includes(':') ? '#microsoft.graph.iPv6CidrRange' : '#microsoft.graph.iPv4CidrRange',
        cidrAddress: cidr,
    };
}

export class NamedLocationActions {
    constructor(
        private readonly client: Client,
        private readonly options: CallGraphOptions,
    ) {}

    /** GET /identity/conditionalAccess/namedLocations/{id}: an IP named location's ranges (Policy.Read.All). */
    async getNamedLocation(locationId: string): Promise<IpNamedLocation> {
        const id = assertGuid(locationId, 'named location id');
        const res = (await callGraph(
            (signal) =>
                this.client.api(`/identity/conditionalAccess/namedLocations/${id}`).option('signal', signal).get(),
            this.options,
        )) as Record<string, unknown>;
        if (res['@odata.type'] !== '#microsoft.graph.ipNamedLocation') {
            throw new ResponderError(
                'NotAnIpNamedLocation',
                `named location ${id} is not an IP named location (${String(res['@odata.type'])}): BLOCK_LOCATION_ID must name the one setup created`,
            );
        }
        const ranges = Array.isArray(res.ipRanges) ? (res.ipRanges as Array<Record<string, unknown>>) : [];
        return {
            id,
            displayName: typeof res.displayName === 'string' ? res.displayName.slice(0, 256) : '',
            isTrusted: res.isTrusted === true,
            ranges: ranges.flatMap((r) => (typeof r.cidrAddress === 'string' ? [r.cidrAddress] : [])),
            ...(typeof res.modifiedDateTime === 'string' ? { modifiedDateTime: res.modifiedDateTime } : {}),
        };
    }

    /**
     * PATCH /identity/conditionalAccess/namedLocations/{id}: replaces the location's ranges with these
     * (Policy.ReadWrite.ConditionalAccess, with Policy.Read.All). Never on a trusted location: a block there would be
     * a trust.
     */
    async updateNamedLocation(locationId: string, ranges: readonly string[]): Promise<void> {
        const id = assertGuid(locationId, 'named location id');
        if (ranges.length === 0 || ranges.length > MAX_LOCATION_RANGES) {
            throw new ResponderError(
                'InvalidRanges',
                `a named location holds 1 to ${MAX_LOCATION_RANGES} ranges, not ${ranges.length}`,
            );
        }
        await callGraph(
            (signal) =>
                this.client
                    .api(`/identity/conditionalAccess/namedLocations/${id}`)
                    .option('signal', signal)
                    .patch({ '@odata.type': '#microsoft.graph.ipNamedLocation', ipRanges: ranges.map(ipRange) }),
            this.options,
        );
    }
}
