import type { TokenCredential } from '@azure/identity';

import { BLOCKABLE_METHODS, BlockableMethod } from '../../shared/graph/setupActions';
import type { BlockSetupResult } from '../../shared/graph/blockSetup';
import { PLACEHOLDER_RANGE } from '../../shared/campaignRunners/sourceBlocker';
import { createRuntime } from '../../shared/runtime';
import type { CommandSpec } from '../commandSpec';
import { booleanFlag, GUID, parseFlags, stringFlag } from '../flags';
import { CliIO, UsageError, write } from '../io';
import { checkSignedIn } from '../signedIn';

interface SetupOptions {
    readonly groupName: string;
    readonly groupId: string | undefined;
    readonly methods: BlockableMethod[];
    readonly json: boolean;
    /** Also the named location and report-only policy of BLOCK_CAMPAIGN_SOURCES. */
    readonly blockSources: boolean;
    readonly blockLocationId: string | undefined;
}

export const SETUP_SPEC: CommandSpec = {
    name: 'setup',
    summary:
        'Create the push-block group if needed and exclude it from the Authenticator policy (and SMS, voice). Idempotent.',
    flags: {
        'group-name': { type: 'string', value: 'NAME', default: 'SG-MFA-Push-Blocked', help: 'the group to create' },
        'group-id': { type: 'string', value: 'ID', help: 'use this existing group instead' },
        methods: {
            type: 'string',
            value: 'LIST',
            default: 'microsoftAuthenticator',
            help: 'policies to exclude it from: microsoftAuthenticator,sms,voice',
        },
        json: { type: 'boolean', default: false, help: 'one JSON line with the outcome' },
        'block-sources': {
            type: 'boolean',
            default: false,
            help: 'also the named location and report-only block policy of BLOCK_CAMPAIGN_SOURCES',
        },
        'block-location-id': {
            type: 'string',
            value: 'ID',
            help: 'use this existing IP named location (with --block-sources)',
        },
    },
    examples: [
        'az login && mfa-responder setup',
        'mfa-responder setup --methods microsoftAuthenticator,sms,voice',
        'mfa-responder setup --block-sources',
    ],
};

function parseSetupArgs(args: string[]): SetupOptions {
    const { values } = parseFlags(SETUP_SPEC, args);
    if (stringFlag(values, 'block-location-id') !== undefined && !booleanFlag(values, 'block-sources')) {
        throw new UsageError('--block-location-id goes with --block-sources');
    }
    const given = stringFlag(values, 'methods') ?? 'microsoftAuthenticator';
    const methods = given
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
    const unknown = methods.filter((m) => !(m in BLOCKABLE_METHODS));
    if (methods.length === 0 || unknown.length > 0) {
        throw new UsageError(
            `--methods takes a comma-separated list of ${Object.keys(BLOCKABLE_METHODS).join(', ')}, not "${given}"`,
            'setup',
        );
    }
    return {
        groupName: stringFlag(values, 'group-name') ?? 'SG-MFA-Push-Blocked',
        groupId: stringFlag(values, 'group-id'),
        methods: methods as BlockableMethod[],
        json: booleanFlag(values, 'json'),
        blockSources: booleanFlag(values, 'block-sources'),
        blockLocationId: stringFlag(values, 'block-location-id'),
    };
}

/** `setup`: the push-block group and its exclusion from the Authenticator policy (and SMS, voice with --methods). */
export async function setupCommand(args: string[], io: CliIO, credential?: TokenCredential): Promise<number> {
    const options = parseSetupArgs(args);
    const rt = createRuntime({ env: io.env, ...(credential ? { credential } : {}) });
    await checkSignedIn(rt.credential, `${rt.graphConfig.baseUrl}/.default`);
    const setup = rt.setupActions();
    const result = await setup.ensurePushBlockGroup({
        groupName: options.groupName,
        ...(options.groupId ? { groupId: options.groupId } : {}),
        methods: options.methods,
    });
    const block = options.blockSources ? await setupBlockSources(rt, options) : undefined;
    if (options.json) {
        await write(io.stdout, `${JSON.stringify(block ? { ...result, block } : result)}\n`);
    } else {
        await write(
            io.stdout,
            `${result.groupCreated ? 'Created' : 'Using'} push-block group ${result.groupId}; ` +
                result.methods
                    .map(
                        (m) =>
                            `${m.excluded === 'already' ? 'already excluded from' : 'excluded from'} the ${m.method} policy (${m.exclusions} exclusion(s) in all)`,
                    )
                    .join('; ') +
                `.\nSet PUSH_BLOCK_GROUP_ID=${result.groupId} through the template: azd env set PUSH_BLOCK_GROUP_ID ${result.groupId} && azd provision\n`,
        );
        if (block) await write(io.stdout, blockSetupText(block, rt));
    }
    return 0;
}

/**
 * The named location and the report-only block policy of BLOCK_CAMPAIGN_SOURCES. Break-glass exclusions always win:
 * the policy excludes NEVER_CONTAIN's user ids and NEVER_CONTAIN_GROUP_IDS.
 */
async function setupBlockSources(rt: ReturnType<typeof createRuntime>, options: SetupOptions) {
    const c = rt.containment;
    return rt.blockSetup().ensureBlockPolicy({
        ...(options.blockLocationId ? { locationId: options.blockLocationId } : {}),
        placeholderRange: PLACEHOLDER_RANGE,
        excludeUsers: [...c.neverContain].filter((v) => GUID.test(v)),
        excludeGroups: c.neverContainGroupIds,
    });
}

function blockSetupText(block: BlockSetupResult, rt: ReturnType<typeof createRuntime>): string {
    const upns = [...rt.containment.neverContain].filter((v) => v.includes('@'));
    return (
        `${block.locationCreated ? 'Created' : 'Using'} named location ${block.locationId} and ` +
        `${block.policyCreated ? 'created' : 'found'} block policy ${block.policyId} (state ${block.policyState}).\n` +
        `Set BLOCK_CAMPAIGN_SOURCES=true and BLOCK_LOCATION_ID=${block.locationId} (azd env set, then azd provision), and grant the roles with the grant script's --block-sources.\n` +
        'The policy is report-only: read its report in Entra (Conditional Access, Insights and reporting) and switch it on there.\n' +
        (upns.length > 0
            ? `The policy excludes break-glass accounts by object id and group: add the object ids of ${upns.join(', ')} to NEVER_CONTAIN (a UPN cannot be excluded) and run setup again.\n`
            : '')
    );
}
