import type { TokenCredential } from '@azure/identity';

import { BLOCKABLE_METHODS, BlockableMethod } from '../../shared/graph/setupActions';
import { createRuntime } from '../../shared/runtime';
import type { CommandSpec } from '../commandSpec';
import { booleanFlag, parseFlags, stringFlag } from '../flags';
import { CliIO, UsageError, write } from '../io';
import { checkSignedIn } from '../signedIn';

interface SetupOptions {
    readonly groupName: string;
    readonly groupId: string | undefined;
    readonly methods: BlockableMethod[];
    readonly json: boolean;
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
    },
    examples: ['az login && mfa-responder setup', 'mfa-responder setup --methods microsoftAuthenticator,sms,voice'],
};

function parseSetupArgs(args: string[]): SetupOptions {
    const { values } = parseFlags(SETUP_SPEC, args);
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
    if (options.json) {
        await write(io.stdout, `${JSON.stringify(result)}\n`);
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
    }
    return 0;
}
