import { containmentWarnings, loadContainmentConfig } from '../../shared/settings/containment';
import { readSetting } from '../../shared/settings/readSetting';
import { ConfigError } from '../../shared/errors';

/**
 * In Azure NOTIFY_WEBHOOK_URL is a Key Vault reference (infra/app/resources.bicep). When the platform cannot resolve
 * it (the identity's role not yet effective, the secret missing) the app receives the reference itself
 * (https://learn.microsoft.com/azure/app-service/app-service-key-vault-references): detection and containment go on,
 * and the app says out loud that no notice can be sent.
 */
const REFERENCE = '@Microsoft.KeyVault(VaultName=kv-mfa-abc;SecretName=notify-webhook-url)';

describe('an unresolved Key Vault reference as NOTIFY_WEBHOOK_URL', () => {
    it('does not stop start-up, sends no notice, and warns saying what to do', () => {
        const config = loadContainmentConfig({ NOTIFY_WEBHOOK_URL: REFERENCE });
        expect(config.notifyWebhookUrl).toBeUndefined();
        expect(config.notifyWebhookUnresolved).toBe(true);
        const [warning, ...rest] = containmentWarnings(config);
        expect(rest).toEqual([]);
        expect(warning).toMatch(/NOTIFY_WEBHOOK_URL is a Key Vault reference the platform could not resolve/);
        expect(warning).toMatch(/Key Vault Secrets User.*restart the function app/);
    });

    it('is not confused with a URL, and a resolved value is used as the URL', () => {
        const url = 'https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SECRET';
        const config = loadContainmentConfig({ NOTIFY_WEBHOOK_URL: url });
        expect(config).toMatchObject({ notifyWebhookUrl: url });
        expect(config.notifyWebhookUnresolved).toBeUndefined();
        expect(containmentWarnings(config)).toEqual([]);
    });

    it('never repeats a bad value in the error: the URL carries a secret', () => {
        let error: unknown;
        try {
            readSetting({ NOTIFY_WEBHOOK_URL: 'ftp://host/path?sig=SECRET' }, 'NOTIFY_WEBHOOK_URL');
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).not.toContain('SECRET');
        expect((error as Error).message).toMatch(
            /Setting NOTIFY_WEBHOOK_URL has a value, but accepts an http\(s\) URL/,
        );
    });
});
