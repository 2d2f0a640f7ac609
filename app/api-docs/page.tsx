import type { Metadata } from "next";
import { openApiDocument } from "@/app/lib/openapi/document";

export const metadata: Metadata = { title: "API reference" };

/** A plain, public rendering of /api/openapi.json: every route with its auth, request and responses. */
export default function ApiDocsPage() {
  const doc = openApiDocument();
  return (
    <main style={{ maxWidth: "60rem", margin: "0 auto", padding: "1rem" }}>
      <h1>{doc.info.title} v{doc.info.version}</h1>
      <p>
        The machine-readable document is <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1); load it into any
        OpenAPI tool or client generator. Errors are <code>{'{"error":{"code","message"}}'}</code>.
      </p>
      {Object.entries(doc.paths).map(([path, ops]) =>
        Object.entries(ops).map(([method, op]) => (
          <section key={`${method} ${path}`} id={op.operationId} style={{ borderTop: "1px solid #ccc", padding: "0.5rem 0" }}>
            <h2 style={{ fontSize: "1.1rem", margin: 0 }}>
              <code>{method.toUpperCase()} {path}</code>
            </h2>
            <p style={{ margin: "0.25rem 0" }}>
              {op.summary}. <em>{op.description}</em>
            </p>
            {"parameters" in op && op.parameters ? <Schema title="Parameters" value={op.parameters} /> : null}
            {"requestBody" in op && op.requestBody ? <Schema title="Request body" value={op.requestBody} /> : null}
            <Schema title="Responses" value={op.responses} />
          </section>
        )),
      )}
    </main>
  );
}

function Schema({ title, value }: { title: string; value: unknown }) {
  return (
    <details>
      <summary>{title}</summary>
      <pre style={{ overflowX: "auto", fontSize: "0.8rem" }}>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}
