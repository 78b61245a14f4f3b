/**
 * `/openapi/v2` as kubectl asks for it: protobuf of gnostic's
 * `openapi_v2.Document` (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf).
 * kubectl 1.27 and 1.28 read it before every apply, create and replace.
 * This encodes the subset of the Swagger document OpenApiDocuments builds,
 * with the field numbers of gnostic's OpenAPIv2.proto; vendor extensions
 * travel as YAML text (JSON is YAML), as gnostic stores them.
 *
 * @example
 * res.end(encodeOpenApiV2(docs.v2()));
 */
type Json = Record<string, unknown>;

class Message {
  private readonly parts: Buffer[] = [];

  private varint(n: number): void {
    const bytes: number[] = [];
    let v = n;
    while (v > 0x7f) {
      bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
  }

  private bytes(field: number, data: Buffer): this {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    this.parts.push(data);
    return this;
  }

  string(field: number, value: unknown): this {
    return typeof value === 'string' && value !== '' ? this.bytes(field, Buffer.from(value, 'utf8')) : this;
  }

  strings(field: number, values: unknown): this {
    for (const v of Array.isArray(values) ? values : []) this.bytes(field, Buffer.from(String(v), 'utf8'));
    return this;
  }

  bool(field: number, value: unknown): this {
    if (value === true) {
      this.varint(field << 3);
      this.varint(1);
    }
    return this;
  }

  message(field: number, value: Buffer | undefined): this {
    return value ? this.bytes(field, value) : this;
  }

  messages(field: number, values: Buffer[]): this {
    for (const v of values) this.bytes(field, v);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const msg = () => new Message();
const entries = (v: unknown): [string, unknown][] => (typeof v === 'object' && v !== null ? Object.entries(v) : []);

/** NamedX { name = 1; value = 2 } pairs, the way gnostic writes every map. */
const named = (map: unknown, encode: (v: unknown) => Buffer): Buffer[] => entries(map).map(([name, v]) => msg().string(1, name).message(2, encode(v)).done());

/** Vendor extensions as repeated NamedAny { name; Any { yaml = 2 } }. */
const extensions = (o: Json): Buffer[] =>
  entries(o)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, v]) => msg().string(1, name).message(2, msg().string(2, `${JSON.stringify(v)}\n`).done()).done());

function schema(s: Json): Buffer {
  const m = msg().string(1, s.$ref).string(2, s.format).string(4, s.description).strings(19, s.required);
  if (typeof s.additionalProperties === 'object') m.message(21, msg().message(1, schema(s.additionalProperties as Json)).done());
  if (s.type !== undefined) m.message(22, msg().strings(1, [s.type]).done());
  if (s.items !== undefined) m.message(23, msg().message(1, schema(s.items as Json)).done());
  if (s.properties !== undefined) m.message(25, msg().messages(1, named(s.properties, (v) => schema(v as Json))).done());
  return m.messages(31, extensions(s)).done();
}

function parameter(p: Json): Buffer {
  let inner: Buffer;
  if (p.in === 'body') {
    inner = msg().message(1, msg().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required).message(5, schema(p.schema as Json)).done()).done();
  } else if (p.in === 'path') {
    const sub = msg().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(5, p.type).bool(19, p.uniqueItems).done();
    inner = msg().message(2, msg().message(4, sub).done()).done();
  } else {
    const sub = msg().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(6, p.type).bool(20, p.uniqueItems).done();
    inner = msg().message(2, msg().message(3, sub).done()).done();
  }
  return msg().message(1, inner).done();
}

function operation(o: Json): Buffer {
  const responses = named(o.responses, (r) => {
    const response = r as Json;
    const body = msg().string(1, response.description);
    if (response.schema) body.message(2, msg().message(1, schema(response.schema as Json)).done());
    return msg().message(1, body.done()).done();
  });
  return msg()
    .strings(1, o.tags)
    .string(3, o.description)
    .string(5, o.operationId)
    .strings(6, o.produces)
    .strings(7, o.consumes)
    .messages(8, ((o.parameters ?? []) as Json[]).map(parameter))
    .message(9, msg().messages(1, responses).done())
    .strings(10, o.schemes)
    .messages(13, extensions(o))
    .done();
}

const METHOD_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function pathItem(item: Json): Buffer {
  const m = msg();
  for (const [method, field] of Object.entries(METHOD_FIELDS)) if (item[method]) m.message(field, operation(item[method] as Json));
  return m.messages(9, ((item.parameters ?? []) as Json[]).map(parameter)).done();
}

export function encodeOpenApiV2(doc: Json): Buffer {
  const info = doc.info as Json;
  const security = ((doc.security ?? []) as Json[]).map((requirement) => msg().messages(1, named(requirement, (scopes) => msg().strings(1, scopes).done())).done());
  const securityDefinitions = named(doc.securityDefinitions, (d) => {
    const s = d as Json;
    return msg().message(2, msg().string(1, s.type).string(2, s.name).string(3, s.in).string(4, s.description).done()).done();
  });
  return msg()
    .string(1, doc.swagger)
    .message(2, msg().string(1, info.title).string(2, info.version).done())
    .message(8, msg().messages(2, named(doc.paths, (p) => pathItem(p as Json))).done())
    .message(9, msg().messages(1, named(doc.definitions, (d) => schema(d as Json))).done())
    .messages(12, security)
    .message(13, msg().messages(1, securityDefinitions).done())
    .done();
}
