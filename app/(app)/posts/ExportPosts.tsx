/** Downloads of every post of the signed-in user (GET /api/posts/export); the browser sends the session cookie. */
export function ExportPosts() {
  return (
    <span className="small" role="group" aria-label="Download all posts">
      Download all posts:{" "}
      <a href="/api/posts/export?format=json" download data-testid="export-json">
        JSON
      </a>{" "}
      ·{" "}
      <a href="/api/posts/export?format=csv" download data-testid="export-csv">
        CSV
      </a>
    </span>
  );
}
