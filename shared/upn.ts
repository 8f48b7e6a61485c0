/**
 * The forms under which a user principal name can be listed and logged. UPNs compare case-insensitively and, being
 * Unicode, only after normalisation (NFC), and a guest appears in the inviting tenant as
 * `alice_fabrikam.com#EXT#@contoso.onmicrosoft.com` for `alice@fabrikam.com`
 * (https://learn.microsoft.com/entra/external-id/user-properties): both forms name the same person.
 */
export function upnForms(upn: string | undefined): string[] {
    if (upn === undefined) return [];
    const normal = upn.trim().normalize('NFC').toLowerCase();
    if (normal === '') return [];
    const guest = /^(.+)_([^_@]+)#ext#@[^@]+$/.exec(normal);
    return guest ? [normal, `${guest[1]}@${guest[2]}`] : [normal];
}
