/**
 * Evaluates the variables of a compiled ARM template for given parameter values, so that tests can run the checks a
 * template makes at deploy time (fail(), the values it gives app settings) without Azure. It implements the template
 * functions the product's templates use, as documented for ARM templates
 * (https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions), and throws on any other,
 * so a template change that needs more is noticed instead of mis-evaluated. if() evaluates only the branch it takes,
 * as Bicep's fail() requires; every other function evaluates all its arguments.
 */

export class ArmFailure extends Error {}

interface Template {
    parameters: Record<string, { defaultValue?: unknown }>;
    variables?: Record<string, unknown>;
}

type Value = unknown;
export type Node =
    | { kind: 'literal'; value: Value }
    | { kind: 'call'; name: string; args: Node[] }
    | { kind: 'property'; target: Node; name: string }
    | { kind: 'index'; target: Node; index: Node };

class Parser {
    private pos = 0;
    constructor(private readonly text: string) {}

    parse(): Node {
        const node = this.expression();
        this.space();
        if (this.pos !== this.text.length) throw new Error(`unexpected "${this.text.slice(this.pos)}" in ${this.text}`);
        return node;
    }

    private space(): void {
        while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
    }

    private expression(): Node {
        this.space();
        let node = this.primary();
        for (;;) {
            if (this.text[this.pos] === '.') {
                this.pos++;
                node = { kind: 'property', target: node, name: this.identifier() };
            } else if (this.text[this.pos] === '[') {
                this.pos++;
                const index = this.expression();
                this.expect(']');
                node = { kind: 'index', target: node, index };
            } else return node;
        }
    }

    private primary(): Node {
        const c = this.text[this.pos];
        if (c === "'") {
            let value = '';
            this.pos++;
            for (;;) {
                const ch = this.text[this.pos++];
                if (ch === undefined) throw new Error(`unterminated string in ${this.text}`);
                if (ch === "'") {
                    if (this.text[this.pos] !== "'") break;
                    this.pos++;
                }
                value += ch;
            }
            return { kind: 'literal', value };
        }
        if (c !== undefined && /[-0-9]/.test(c)) {
            const match = /^-?\d+/.exec(this.text.slice(this.pos))!;
            this.pos += match[0].length;
            return { kind: 'literal', value: Number(match[0]) };
        }
        const name = this.identifier();
        this.expect('(');
        const args: Node[] = [];
        this.space();
        if (this.text[this.pos] !== ')') {
            for (;;) {
                args.push(this.expression());
                this.space();
                if (this.text[this.pos] === ',') this.pos++;
                else break;
            }
        }
        this.expect(')');
        return { kind: 'call', name, args };
    }

    private identifier(): string {
        const match = /^[A-Za-z_]\w*/.exec(this.text.slice(this.pos));
        if (!match) throw new Error(`expected a name at "${this.text.slice(this.pos)}"`);
        this.pos += match[0].length;
        return match[0];
    }

    private expect(ch: string): void {
        this.space();
        if (this.text[this.pos] !== ch) throw new Error(`expected "${ch}" at "${this.text.slice(this.pos)}"`);
        this.pos++;
    }
}

/** Parses an ARM template expression ("[...]") into its syntax tree. */
export function parseExpression(expression: string): Node {
    if (!expression.startsWith('[') || expression.startsWith('[[')) throw new Error(`not an expression: ${expression}`);
    return new Parser(expression.slice(1, -1)).parse();
}

/** Writes a syntax tree back as expression text (without the brackets), for assertions that read it. */
export function render(node: Node): string {
    switch (node.kind) {
        case 'literal':
            return typeof node.value === 'string' ? `'${node.value.replace(/'/g, "''")}'` : String(node.value);
        case 'call':
            return `${node.name}(${node.args.map(render).join(', ')})`;
        case 'property':
            return `${render(node.target)}.${node.name}`;
        case 'index':
            return `${render(node.target)}[${render(node.index)}]`;
    }
}

const isExpression = (v: unknown): v is string => typeof v === 'string' && v.startsWith('[') && !v.startsWith('[[');

function isEmpty(v: Value): boolean {
    if (v === null || v === undefined) return true;
    if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
    if (typeof v === 'object') return Object.keys(v).length === 0;
    throw new Error(`empty() of ${typeof v}`);
}

function asString(v: Value, fn: string): string {
    if (typeof v !== 'string') throw new Error(`${fn}() needs a string, got ${JSON.stringify(v)}`);
    return v;
}

function asArray(v: Value, fn: string): Value[] {
    if (!Array.isArray(v)) throw new Error(`${fn}() needs an array, got ${JSON.stringify(v)}`);
    return v;
}

type Lambda = { params: string[]; body: Node };

export class ArmEvaluator {
    private readonly params: Record<string, Value>;
    private readonly cache = new Map<string, Value>();

    constructor(
        private readonly template: Template,
        parameterValues: Record<string, Value> = {},
    ) {
        const unknown = Object.keys(parameterValues).filter((k) => !(k in template.parameters));
        if (unknown.length > 0) throw new Error(`the template has no parameter ${unknown.join(', ')}`);
        this.params = Object.fromEntries(
            Object.entries(template.parameters).map(([k, p]) => [
                k,
                k in parameterValues ? parameterValues[k] : p.defaultValue,
            ]),
        );
    }

    /** The value of a template variable, with every expression inside it evaluated. */
    variable(name: string): Value {
        if (!this.cache.has(name)) {
            const raw = this.template.variables?.[name];
            if (raw === undefined) throw new Error(`the template has no variable ${name}`);
            this.cache.set(name, this.value(raw));
        }
        return this.cache.get(name);
    }

    /** Evaluates a JSON value from the template: expression strings, and objects and arrays of them. */
    value(raw: Value): Value {
        if (isExpression(raw)) return this.evaluate(new Parser(raw.slice(1, -1)).parse(), {});
        if (typeof raw === 'string' && raw.startsWith('[[')) return raw.slice(1);
        if (Array.isArray(raw)) return raw.map((v) => this.value(v));
        if (raw !== null && typeof raw === 'object')
            return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, this.value(v)]));
        return raw;
    }

    private evaluate(node: Node, scope: Record<string, Value>): Value {
        switch (node.kind) {
            case 'literal':
                return node.value;
            case 'property': {
                const target = this.evaluate(node.target, scope) as Record<string, Value>;
                return target[node.name];
            }
            case 'index': {
                const target = this.evaluate(node.target, scope) as Record<string | number, Value>;
                return target[this.evaluate(node.index, scope) as string | number];
            }
            case 'call':
                return this.call(node.name, node.args, scope);
        }
    }

    private call(name: string, args: Node[], scope: Record<string, Value>): Value {
        const arg = (i: number) => this.evaluate(args[i]!, scope);
        const all = () => args.map((_a, i) => arg(i));
        const lambda = (i: number): Lambda => {
            const node = args[i]!;
            if (node.kind !== 'call' || node.name !== 'lambda') throw new Error(`${name}() needs a lambda`);
            return {
                params: node.args.slice(0, -1).map((a) => this.evaluate(a, scope) as string),
                body: node.args[node.args.length - 1]!,
            };
        };
        const apply = (fn: Lambda, values: Value[]) =>
            this.evaluate(fn.body, { ...scope, ...Object.fromEntries(fn.params.map((p, i) => [p, values[i]])) });
        switch (name) {
            case 'parameters':
                return this.params[asString(arg(0), name)];
            case 'variables':
                return this.variable(asString(arg(0), name));
            case 'lambdaVariables':
                return scope[asString(arg(0), name)];
            case 'if':
                return arg(0) === true ? arg(1) : arg(2);
            case 'fail':
                throw new ArmFailure(asString(arg(0), name));
            case 'and':
                return all().every((v) => v === true);
            case 'or':
                return all().some((v) => v === true);
            case 'not':
                return arg(0) !== true;
            case 'true':
                return true;
            case 'false':
                return false;
            case 'equals':
                return JSON.stringify(arg(0)) === JSON.stringify(arg(1));
            case 'greaterOrEquals':
                return (arg(0) as number) >= (arg(1) as number);
            case 'lessOrEquals':
                return (arg(0) as number) <= (arg(1) as number);
            case 'mul':
                return (arg(0) as number) * (arg(1) as number);
            case 'empty':
                return isEmpty(arg(0));
            case 'length': {
                const v = arg(0);
                return typeof v === 'string' || Array.isArray(v) ? v.length : Object.keys(v as object).length;
            }
            case 'trim':
                return asString(arg(0), name).trim();
            case 'split':
                return asString(arg(0), name).split(asString(arg(1), name));
            case 'replace':
                return asString(arg(0), name)
                    .split(asString(arg(1), name))
                    .join(asString(arg(2), name));
            case 'join':
                return asArray(arg(0), name).join(asString(arg(1), name));
            case 'first': {
                const v = arg(0);
                return typeof v === 'string' ? v.slice(0, 1) : asArray(v, name)[0];
            }
            case 'last': {
                const v = arg(0);
                return typeof v === 'string' ? v.slice(-1) : asArray(v, name).at(-1);
            }
            case 'contains': {
                const [container, item] = all();
                if (typeof container === 'string') return container.includes(asString(item, name));
                if (Array.isArray(container)) return container.some((v) => JSON.stringify(v) === JSON.stringify(item));
                return Object.keys(container as object).includes(item as string);
            }
            case 'int': {
                const v = arg(0);
                if (typeof v === 'number') return v;
                if (!/^[-+]?\d+$/.test(asString(v, name)))
                    throw new Error(`int() of "${String(v)}" is an error in ARM`);
                return Number(v);
            }
            case 'string': {
                const v = arg(0);
                return typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : JSON.stringify(v);
            }
            case 'createArray':
                return all();
            case 'concat': {
                const values = all();
                return values.every((v) => Array.isArray(v)) ? values.flat() : values.map(String).join('');
            }
            case 'createObject': {
                const values = all();
                const out: Record<string, Value> = {};
                for (let i = 0; i < values.length; i += 2) out[values[i] as string] = values[i + 1];
                return out;
            }
            case 'filter': {
                const fn = lambda(1);
                return asArray(arg(0), name).filter((v) => apply(fn, [v]) === true);
            }
            case 'reduce': {
                const fn = lambda(2);
                return asArray(arg(0), name).reduce((acc, v) => apply(fn, [acc, v]), arg(1));
            }
            default:
                throw new Error(`the test's ARM evaluator does not implement ${name}(); add it from the ARM docs`);
        }
    }
}
