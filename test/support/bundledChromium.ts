import { execFileSync } from 'node:child_process';
import {
    createReadStream,
    createWriteStream,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    renameSync,
    rmSync,
    writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';

/**
 * The headless Chromium that `npm ci` brings: the `@sparticuz/chromium` devDependency ships chrome-headless-shell for
 * Linux x64 inside its registry tarball, brotli-compressed (no install script, no download), with the shared
 * libraries it needs besides glibc (NSS, NSPR, expat) and a font. We unpack those ourselves instead of calling the
 * package's `executablePath()`: that one unpacks into a fixed /tmp/chromium shared by every project and version on
 * the machine, reuses a half-written file when two processes start at once, and uses the bundled libraries and font
 * only on AWS. Here the unpacked browser lives beside the install that brought it, and it is made whole before it
 * appears.
 */
export interface BundledChromium {
    readonly executablePath: string;
    /** Variables for the browser process only: the bundled libraries first, the bundled font configuration. */
    readonly env: Readonly<Record<string, string>>;
}

const PACKAGE = '@sparticuz/chromium';

/** Unpacks the packaged browser on first use (a few seconds, once per install) and says how to start it. */
export async function bundledChromium(): Promise<BundledChromium> {
    // The package exports only its entry point (build/cjs/index.cjs); the archives are in its bin/ folder.
    const packageDir = join(dirname(require.resolve(PACKAGE)), '..', '..');
    const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
    // node_modules/.cache/: a fresh `npm ci` removes it with the package, so a new version is never mixed with an old.
    const cache = join(packageDir, '..', '..', '.cache', 'mfa-responder');
    const dir = join(cache, `chromium-${version}`);
    if (!existsSync(dir)) await unpack(join(packageDir, 'bin'), cache, dir);
    return {
        executablePath: join(dir, 'chromium'),
        env: {
            LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
            FONTCONFIG_FILE: join(dir, 'fonts.conf'),
        },
    };
}

/**
 * Unpacks into a private folder and renames it into place, so `dir` exists only when complete: jest workers (or two
 * test runs) that unpack at the same time each build their own copy and the first rename wins.
 */
async function unpack(bin: string, cache: string, dir: string): Promise<void> {
    mkdirSync(cache, { recursive: true });
    const staging = mkdtempSync(join(cache, '.unpacking-'));
    try {
        await pipeline(
            createReadStream(join(bin, 'chromium.br')),
            createBrotliDecompress(),
            createWriteStream(join(staging, 'chromium'), { mode: 0o755 }),
        );
        // lib/: libnss3, libnspr4, libexpat (built for Amazon Linux 2023, glibc 2.34), so the browser needs nothing
        // from the machine but glibc and libgcc. fonts/: Open Sans, so every machine draws the same text.
        untar(join(bin, 'al2023.tar.br'), staging);
        untar(join(bin, 'fonts.tar.br'), staging);
        // The package's fonts.conf names /tmp/fonts; ours names the fonts unpacked here, and only those.
        writeFileSync(
            join(staging, 'fonts.conf'),
            [
                '<?xml version="1.0"?>',
                '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
                '<fontconfig>',
                `  <dir>${join(dir, 'fonts')}</dir>`,
                `  <cachedir>${join(dir, 'fonts-cache')}</cachedir>`,
                '</fontconfig>',
                '',
            ].join('\n'),
        );
        try {
            renameSync(staging, dir);
        } catch (e) {
            // Another process finished first: its copy is as good as ours.
            if (!existsSync(dir)) throw e;
        }
    } finally {
        rmSync(staging, { recursive: true, force: true });
    }
}

/**
 * A brotli-compressed tar (small: under 4 MB unpacked), extracted by the system's tar, which Debian always has. The
 * files become ours even as root (the archives name their packager's user ids).
 */
function untar(archive: string, into: string): void {
    execFileSync('tar', ['-x', '--no-same-owner', '-C', into], { input: brotliDecompressSync(readFileSync(archive)) });
}
