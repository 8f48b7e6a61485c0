import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**', 'infra/**', '.tools/**', 'jest.config.js'] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: {
            parserOptions: {
                projectService: { allowDefaultProject: ['bin/*.js', 'scripts/*.js', 'eslint.config.mjs'] },
                tsconfigRootDir: import.meta.dirname,
            },
        },
        rules: {
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
            '@typescript-eslint/return-await': ['error', 'in-try-catch'],
            '@typescript-eslint/require-await': 'off',
            eqeqeq: 'error',
            'no-restricted-syntax': [
                'error',
                { selector: 'CallExpression[callee.property.name="only"]', message: 'no focused tests' },
            ],
        },
    },
    {
        files: ['test/**/*.ts'],
        rules: {
            '@typescript-eslint/no-unsafe-assignment': 'off',
            '@typescript-eslint/no-unsafe-member-access': 'off',
            '@typescript-eslint/no-unsafe-call': 'off',
            '@typescript-eslint/no-unsafe-argument': 'off',
            '@typescript-eslint/no-unsafe-return': 'off',
            '@typescript-eslint/no-non-null-assertion': 'off',
            // Tests build malformed Entra records on purpose by mutating valid ones.
            '@typescript-eslint/no-explicit-any': 'off',
        },
    },
    { files: ['bin/*.js', 'scripts/*.js', 'eslint.config.mjs'], ...tseslint.configs.disableTypeChecked },
    {
        files: ['bin/*.js', 'scripts/*.js'],
        languageOptions: {
            globals: { require: 'readonly', process: 'readonly', module: 'writable', __dirname: 'readonly' },
            sourceType: 'commonjs',
        },
        rules: { '@typescript-eslint/no-require-imports': 'off' },
    },
);
