import { describe, expect, it } from "vitest";
import { parsePageMeta } from "../linkCard";

describe("parsePageMeta", () => {
  it("prefers Open Graph, falls back to Twitter tags, and decodes entities", () => {
    const html = `<html><head>
      <meta name="twitter:title" content="Twitter title">
      <meta property="og:title" content="Caf&eacute; &amp; bar">
      <meta name="twitter:description" content="from twitter">
      <meta name="twitter:image" content="https://example.com/t.png">
      <title>Page title</title></head><body></body></html>`;
    expect(parsePageMeta(html)).toEqual({ title: "Café & bar", description: "from twitter", image: "https://example.com/t.png" });
  });

  it("uses <title> and the description meta when there are no card tags", () => {
    const html = `<!doctype html><html><head><TITLE> Plain  page </TITLE><META NAME="Description" CONTENT="Just a page."></head></html>`;
    expect(parsePageMeta(html)).toEqual({ title: "Plain  page", description: "Just a page.", image: undefined });
  });

  it("reads the head only: tags in the body (user content) are ignored", () => {
    const html = `<html><head><title>Real</title></head><body><meta property="og:title" content="Injected"><meta property="og:image" content="http://10.0.0.1/x.png"></body></html>`;
    expect(parsePageMeta(html)).toEqual({ title: "Real", description: undefined, image: undefined });
  });
});
