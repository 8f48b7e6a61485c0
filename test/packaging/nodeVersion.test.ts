/**
 * CI runs the whole suite twice: on Node.js 22, the version the templates deploy, then on Node.js 24, the next one
 * (.ci/run sets EXPECT_NODE_MAJOR for each run). This checks that each run really ran on the version it claims.
 */
describe('Node.js version', () => {
    const major = Number(process.versions.node.split('.')[0]);

    it('is the one CI asked for, or one the code supports', () => {
        const expected = process.env.EXPECT_NODE_MAJOR;
        if (expected) expect(major).toBe(Number(expected));
        else expect(major).toBeGreaterThanOrEqual(20);
        console.log(`tests ran on Node.js ${process.versions.node}`);
    });
});
