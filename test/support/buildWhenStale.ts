/**
 * The build check, typed for the tests: the rule itself is scripts/buildWhenStale.js, plain JavaScript because
 * `npm start` runs it before anything is compiled. One rule for both.
 */
export interface BuildCheck {
    readonly built: boolean;
    /** Time spent deciding (hashing the inputs), and building when it did. */
    readonly checkMs: number;
    readonly buildMs: number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the rule is a CommonJS script (see above)
const script = require('../../scripts/buildWhenStale.js') as {
    buildWhenStale: (root: string, options?: { quiet?: boolean }) => BuildCheck;
};

/** Builds dist/ with `npm run build` unless it was built from exactly the sources there are now. */
export function buildWhenStale(root: string, options: { quiet?: boolean } = {}): BuildCheck {
    return script.buildWhenStale(root, options);
}
