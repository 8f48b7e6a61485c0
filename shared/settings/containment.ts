import type { DetectionPolicy } from '../detection/policy';
import { ConfigError } from '../errors';
import { upnForms } from '../upn';
import { checkBreakGlassGroups, checkNeverContain } from './breakGlass';
import type { ContainmentMode, NotifyFormat, PushBlockMode } from './containmentModes';
import { Env, readSetting, requireSetting } from './readSetting';
import { UNRESOLVED_KEY_VAULT_REFERENCE } from './settingSchemas';
import { IncidentLogConfig, loadIncidentLogConfig } from './sentinelRows';

export interface ContainmentConfig {
    readonly mode: ContainmentMode;
    readonly pushBlockMode: PushBlockMode;
    readonly pushBlockGroupId?: string;
    readonly confirmCompromised: boolean;
    readonly disableAccount: boolean;
    readonly removeNewMethods: boolean;
    readonly resetPassword: boolean;
    readonly notifyWebhookUrl?: string;
    /** NOTIFY_WEBHOOK_URL is a Key Vault reference the platform could not resolve: notices cannot be sent. */
    readonly notifyWebhookUnresolved?: true;
    /** How notices are written: plain JSON, or a Teams Workflows Adaptive Card. */
    readonly notifyFormat: NotifyFormat;
    /** The Sentinel workspace's resource id, for the card's link to its incidents. */
    readonly sentinelWorkspaceId?: string;
    /** The release guide the card links to. */
    readonly runbookUrl?: string;
    /** Where incident rows go (Sentinel's table); absent: none are sent. */
    readonly incidentLog?: IncidentLogConfig;
    /** Lower-case object ids and UPNs in every form they can take (NFC; a guest's #EXT# and home forms). */
    readonly neverContain: ReadonlySet<string>;
    readonly neverContainGroupIds: readonly string[];
    readonly maxContainmentsPerHour: number;
    readonly cooldownMs: number;
    readonly maxStepAttempts: number;
    /** How long a failing notice or Sentinel row is retried before it is given up (NOTICE_RETRY_HOURS). */
    readonly noticeRetryMs: number;
    /** How long a change that does not read back yet is checked again before a person is asked (READBACK_WINDOW_MINUTES). */
    readonly readBackWindowMs: number;
}

export function loadContainmentConfig(env: Env): ContainmentConfig {
    const mode = requireSetting(env, 'CONTAINMENT_MODE');
    const pushBlockMode = requireSetting(env, 'PUSH_BLOCK_MODE');
    const pushBlockGroupId = readSetting(env, 'PUSH_BLOCK_GROUP_ID')?.toLowerCase();
    if (mode === 'live' && pushBlockMode === 'group' && !pushBlockGroupId) {
        throw new ConfigError(
            'PUSH_BLOCK_GROUP_ID',
            'Setting PUSH_BLOCK_GROUP_ID is required when CONTAINMENT_MODE=live and PUSH_BLOCK_MODE=group (a group object id; `mfa-responder setup` creates the group).',
        );
    }
    const neverContain = checkNeverContain(requireSetting(env, 'NEVER_CONTAIN'));
    const neverContainGroupIds = requireSetting(env, 'NEVER_CONTAIN_GROUP_IDS');
    checkBreakGlassGroups({ ...(pushBlockGroupId ? { pushBlockGroupId } : {}), neverContain, neverContainGroupIds });
    if (
        mode === 'live' &&
        neverContain.length === 0 &&
        neverContainGroupIds.length === 0 &&
        !requireSetting(env, 'ALLOW_NO_BREAK_GLASS')
    ) {
        throw new ConfigError(
            'NEVER_CONTAIN',
            'CONTAINMENT_MODE=live needs a break-glass exclusion: set NEVER_CONTAIN (user object ids or UPNs) or NEVER_CONTAIN_GROUP_IDS (group object ids), so that an attack on your emergency accounts, or a bug, can never lock them out. To contain without any exclusion, set ALLOW_NO_BREAK_GLASS=true.',
        );
    }
    const webhook = readSetting(env, 'NOTIFY_WEBHOOK_URL');
    const incidentLog = loadIncidentLogConfig(env);
    const sentinelWorkspaceId = readSetting(env, 'SENTINEL_WORKSPACE_ID');
    const runbookUrl = readSetting(env, 'RUNBOOK_URL');
    return {
        mode,
        pushBlockMode,
        ...(pushBlockGroupId ? { pushBlockGroupId } : {}),
        confirmCompromised: requireSetting(env, 'CONFIRM_COMPROMISED'),
        disableAccount: requireSetting(env, 'DISABLE_ACCOUNT'),
        removeNewMethods: requireSetting(env, 'REMOVE_NEW_METHODS'),
        resetPassword: requireSetting(env, 'RESET_PASSWORD'),
        ...(webhook && UNRESOLVED_KEY_VAULT_REFERENCE.test(webhook)
            ? { notifyWebhookUnresolved: true as const }
            : webhook
              ? { notifyWebhookUrl: webhook }
              : {}),
        notifyFormat: requireSetting(env, 'NOTIFY_FORMAT'),
        ...(sentinelWorkspaceId ? { sentinelWorkspaceId } : {}),
        ...(runbookUrl ? { runbookUrl } : {}),
        ...(incidentLog ? { incidentLog } : {}),
        neverContain: new Set(neverContain.flatMap((v) => (v.includes('@') ? upnForms(v) : [v]))),
        neverContainGroupIds,
        maxContainmentsPerHour: requireSetting(env, 'MAX_CONTAINMENTS_PER_HOUR'),
        cooldownMs: requireSetting(env, 'CONTAINMENT_COOLDOWN_MINUTES') * 60_000,
        maxStepAttempts: requireSetting(env, 'MAX_STEP_ATTEMPTS'),
        noticeRetryMs: requireSetting(env, 'NOTICE_RETRY_HOURS') * 3_600_000,
        readBackWindowMs: requireSetting(env, 'READBACK_WINDOW_MINUTES') * 60_000,
    };
}

/**
 * Settings that are valid but weaken containment: said once at start-up (and by doctor and /api/health), never a
 * refusal to start. Once a user's methods are deleted (remove-method mode), an attacker who holds the password may
 * register their own at the next sign-in, unless the password is reset too or registering security information is
 * protected by Conditional Access. And a live responder whose thresholds contain on one or two prompts contains users
 * who declined a prompt or two by mistake: every one of them is locked out of push until released.
 */
export function containmentWarnings(
    config: ContainmentConfig,
    policy?: Pick<DetectionPolicy, 'denialThreshold' | 'spamThenSuccessMinDenials'>,
): string[] {
    const warnings: string[] = [];
    if (config.notifyWebhookUnresolved) {
        warnings.push(
            "NOTIFY_WEBHOOK_URL is a Key Vault reference the platform could not resolve, so no notice is sent (incidents are still detected, contained and logged). Check the reference's status (Environment variables in the portal, or mfa-responder doctor); once the identity's Key Vault Secrets User role works or the secret exists, restart the function app.",
        );
    }
    if (config.mode === 'live' && policy) {
        const low = [
            ...(policy.denialThreshold <= 2 ? [`DENIAL_THRESHOLD=${policy.denialThreshold}`] : []),
            ...(policy.spamThenSuccessMinDenials <= 2
                ? [`SPAM_THEN_SUCCESS_MIN_DENIALS=${policy.spamThenSuccessMinDenials}`]
                : []),
        ];
        if (low.length > 0) {
            warnings.push(
                `CONTAINMENT_MODE=live with ${low.join(' and ')}: one or two declined prompts contain a user, and people decline a prompt or two by mistake. Raise it (the defaults are 5 and 3; replay an export with --html to see what each value would have contained), or set it knowingly.`,
            );
        }
    }
    if (config.mode === 'live' && config.pushBlockMode === 'remove-method' && !config.resetPassword) {
        warnings.push(
            'PUSH_BLOCK_MODE=remove-method with RESET_PASSWORD=false: after the methods are deleted, whoever holds the password can register their own at the next sign-in. Set RESET_PASSWORD=true, or protect "Register security information" with a Conditional Access policy.',
        );
    }
    return warnings;
}
