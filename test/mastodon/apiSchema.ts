import fs from "node:fs";
import path from "node:path";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

/**
 * Checks what the Mastodon test double sends against the official API description
 * (abraham/mastodon-openapi, an OpenAPI 3.1 document whose schemas are JSON Schema 2020-12),
 * so the double cannot drift from the real API. The schema for a response is the one the
 * document declares for that path, method and status code.
 */

const SCHEMA_FILE = path.resolve(import.meta.dirname, "../reference/mastodon-openapi/schema.json");
const DOC_ID = "https://postmore.test/mastodon-openapi.json";

interface OpenApiResponse {
  content?: Record<string, { schema?: object }>;
  headers?: Record<string, { $ref?: string; schema?: object }>;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, { responses?: Record<string, OpenApiResponse> }>>;
  components: { headers: Record<string, { schema: object }> };
}

export class SchemaViolation extends Error {}

let shared: ApiSchema | undefined;

/** One compiled copy per test process: the document is 1.4 MB. */
export function apiSchema(): ApiSchema {
  shared ??= new ApiSchema(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")) as OpenApiDoc);
  return shared;
}

export class ApiSchema {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApiDoc) {
    // strict: false because OpenAPI adds keywords JSON Schema does not know (example, externalDocs).
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addFormat("iso-639-1", /^[a-z]{2,3}$/);
    this.ajv.addFormat("scopes", true);
    this.ajv.addFormat("binary", true);
    this.ajv.addSchema({ ...doc, $id: DOC_ID });
  }

  /** Schema of a named component (`Status`, `MediaAttachment`, `Error`...). */
  component(name: string): object {
    return { $ref: `${DOC_ID}#/components/schemas/${name}` };
  }

  /**
   * The body schema the document declares for `method pathTemplate` answering `status`;
   * undefined when it declares the status without a body schema; throws when the document
   * does not know the route at all (the double answering something real Mastodon cannot).
   */
  responseSchema(pathTemplate: string, method: string, status: number): object | undefined {
    const operation = this.doc.paths[pathTemplate]?.[method.toLowerCase()];
    if (!operation) throw new SchemaViolation(`${method} ${pathTemplate} is not in the Mastodon API`);
    const response = operation.responses?.[String(status)];
    const schema = response?.content?.["application/json"]?.schema;
    if (!schema) return undefined;
    return { $ref: `${DOC_ID}#/paths/${pointer(pathTemplate)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema` };
  }

  /** Throws SchemaViolation when `body` does not match `schema`. */
  check(schema: object, body: unknown, what: string): void {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    if (!validate(body)) {
      const errors = this.ajv.errorsText(validate.errors, { separator: "; ", dataVar: "body" });
      throw new SchemaViolation(`${what} does not match the Mastodon API schema: ${errors}`);
    }
  }

  /** Rate-limit headers must have the declared types (integer, date-time). */
  checkHeaders(headers: Record<string, string>, what: string): void {
    for (const [name, value] of Object.entries(headers)) {
      const declared = this.doc.components.headers[name];
      if (!declared) continue;
      const parsed = (declared.schema as { type?: string }).type === "integer" ? Number(value) : value;
      this.check(declared.schema, parsed, `${what} header ${name}`);
    }
  }
}

function pointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}
