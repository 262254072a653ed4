import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPython } from '@larder/testing';
import { LarderError, makeTemplateFragmentKey } from '../src/index.js';

const key = (varyOn: unknown[]) => makeTemplateFragmentKey('card', varyOn);
const invalid = { name: 'InvalidArgumentError', code: 'E_INVALID_ARGUMENT' };

describe('makeTemplateFragmentKey: vary-on values', () => {
  it("keeps Flask-Caching's key for strings and numbers without '_' or '%'", () => {
    assert.equal(key(['alice']), '_template_fragment_cache_card_alice');
    assert.equal(key([7, 'en-GB', 1.5, -3]), '_template_fragment_cache_card_7_en-GB_1.5_-3');
    assert.equal(key([10n, true, false]), '_template_fragment_cache_card_10_True_False', "booleans as Python's str() writes them");
    assert.equal(makeTemplateFragmentKey('user_sidebar', [7]), '_template_fragment_cache_user_sidebar_7', 'names are kept as they are');
  });

  it("escapes '_' and '%' in a value, so a list of values splits one way only", () => {
    assert.notEqual(key(['a_b']), key(['a', 'b']));
    assert.equal(key(['a_b']), '_template_fragment_cache_card_a%5Fb');
    assert.equal(key(['100%']), '_template_fragment_cache_card_100%25');
    assert.notEqual(key(['a%5Fb']), key(['a_b']));
    assert.notEqual(key(['']), key([]));
    assert.notEqual(key(['', '']), key(['']));
    assert.notEqual(key(['_']), key(['', '']));
  });

  it('gives two users as objects two keys, whatever their classless shape', () => {
    const alice = { id: 1, name: 'alice' };
    const bob = { id: 2, name: 'bob' };
    assert.notEqual(key([alice]), key([bob]));
    assert.ok(!key([alice]).includes('[object Object]'));
    assert.equal(key([{ name: 'alice', id: 1 }]), key([alice]), 'property order does not matter');
    assert.equal(key([Object.assign(Object.create(null), alice)]), key([alice]), 'a null-prototype object is plain data too');
    assert.notEqual(key([{ a: [1, 2] }]), key([{ a: [1, '2'] }]));
    assert.notEqual(key([{ a: 'x_y' }]), key([{ a: 'x', y: undefined }]));
    assert.notEqual(key([[1, 2]]), key([1, 2]));
    assert.notEqual(key([{ a: undefined }]), key([{}]));
    assert.notEqual(key([[undefined]]), key([[null]]));
    assert.notEqual(key([{ n: NaN }]), key([{ n: null }]));
    assert.notEqual(key([{ n: 1n }]), key([{ n: 1 }]));
    assert.doesNotMatch(key([{ a_b: 'c_d' }]).slice('_template_fragment_cache_card_'.length), /_/, "no '_' inside one value's form");
  });

  it('tells a string from null, undefined and an object whose JSON it spells', () => {
    const forms = [key([null]), key(['null']), key([undefined]), key(['undefined']), key([{ id: 1 }]), key(['{"id":1}']), key(['%N']), key(['%U'])];
    assert.equal(new Set(forms).size, forms.length, forms.join('\n'));
  });

  it('a Date is its ISO time; an object with toJSON is what toJSON gives', () => {
    const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
    assert.equal(key([when]), '_template_fragment_cache_card_2024-01-02T03:04:05.000Z');
    assert.equal(key([{ at: when }]), key([{ at: '2024-01-02T03:04:05.000Z' }]));
    class Id {
      constructor(readonly hex: string) {}
      toJSON(): string {
        return this.hex;
      }
    }
    assert.equal(key([new Id('abc')]), key(['abc']));
    assert.notEqual(key([new Id('abc')]), key([new Id('abd')]));
    assert.equal(key([Buffer.from('hi')]), key([{ type: 'Buffer', data: [104, 105] }]));
  });

  it('refuses, with E_INVALID_ARGUMENT, values that have no stable form', () => {
    class User {
      constructor(readonly id: number) {}
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const selfish = { toJSON: () => selfish };
    for (const value of [new User(1), new Map([[1, 2]]), new Set([1]), () => 1, Symbol('s'), new Date(Number.NaN), cyclic, [new User(2)], { user: new User(3) }, selfish, /x/]) {
      assert.throws(() => key([value]), (error: unknown) => {
        assert.ok(error instanceof LarderError);
        assert.equal(error.code, 'E_INVALID_ARGUMENT');
        assert.match(error.message, /vary-on value 1 /);
        return true;
      });
    }
    assert.throws(() => key([{ a: 'secret-token', f: () => 1 }]), (error: Error) => !error.message.includes('secret-token'));
    assert.throws(() => makeTemplateFragmentKey('card', 'alice' as unknown as unknown[]), invalid);
  });

  it('a deep but acyclic value is fine; a pathologically deep one is refused, not a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50; i++) deep = [deep];
    assert.match(key([deep]), /^_template_fragment_cache_card_%J/);
    for (let i = 0; i < 10_000; i++) deep = [deep];
    assert.throws(() => key([deep]), invalid);
  });
});

describe("makeTemplateFragmentKey: a scalar's form is its text, as Python's str() writes it", () => {
  // Flask-Caching joins vary-on strings with '_' (a number must be made a string first: `user.id|string`),
  // so a scalar shares its fragment with the string of its text: the key a Flask app builds for it.
  it('a number, bigint or boolean shares a fragment with the string Python would write for it', () => {
    const sharing: unknown[][] = [
      [1, '1', 1.0, 1n],
      [true, 'True'],
      [false, 'False'],
      [0, -0, '0', 0n],
      [Number.NaN, 'nan'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
      [10n, '10', 10],
      [1.5, '1.5'],
    ];
    for (const values of sharing) {
      const forms = new Set(values.map((value) => key([value])));
      assert.equal(forms.size, 1, `${values.map(String).join(', ')}: ${[...forms].join(' ')}`);
    }
  });

  it("the forms are Python's str() of the same values", () => {
    const cases: Array<[unknown, string, string]> = [
      [7, 'int', '7'],
      [-3, 'int', '-3'],
      [2 ** 53 + 2, 'int', '9007199254740994'],
      [10n ** 20n, 'int', '100000000000000000000'],
      [1e21, 'int', '1000000000000000000000'],
      [1.5, 'float', '1.5'],
      [0.1, 'float', '0.1'],
      [true, 'bool', 'True'],
      [false, 'bool', 'False'],
      [Number.NaN, 'float', 'nan'],
      [Infinity, 'float', 'inf'],
      [-Infinity, 'float', '-inf'],
    ];
    const python = runPython<string[]>(
      `
import json, sys
req = json.load(sys.stdin)
build = {'int': int, 'float': float, 'bool': lambda text: text == 'True'}
print(json.dumps([str(build[kind](text)) for kind, text in req['values']]))
`,
      { values: cases.map(([, kind, text]) => [kind, text]) },
    );
    assert.deepEqual(
      cases.map(([value]) => key([value]).slice('_template_fragment_cache_card_'.length)),
      python,
    );
  });

  it('null, undefined, objects and arrays are still kept apart from every string', () => {
    const forms = [key([null]), key(['None']), key(['null']), key([undefined]), key([[1]]), key(['[1]']), key([{}]), key(['{}'])];
    assert.equal(new Set(forms).size, forms.length, forms.join('\n'));
  });
});
