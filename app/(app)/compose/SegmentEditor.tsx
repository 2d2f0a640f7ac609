"use client";

import { useRef, useState, type ChangeEvent } from "react";
import { byteCount, counterLevel, graphemeCount, MAX_BYTES, MAX_GRAPHEMES } from "../../components/richtext";
import { newId, type DraftImage, type DraftSegment } from "./draft";
import { HighlightedTextarea } from "./HighlightedTextarea";

const MAX_IMAGES = 4;
const MAX_IMAGE_BYTES = 1_000_000;
const ACCEPTED = ["image/png", "image/jpeg", "image/webp", "image/gif"];

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsDataURL(file);
  });
}

export interface SegmentProps {
  segment: DraftSegment;
  index: number;
  count: number;
  showAltErrors: boolean;
  /** What the API said about this part. */
  problems: string[];
  onChange(s: DraftSegment): void;
  onRemove(): void;
  onMove(delta: -1 | 1): void;
}

/** One post of the thread: text with its own counters, up to four images with alt text. */
export function SegmentEditor({ segment, index, count, showAltErrors, problems, onChange, onRemove, onMove }: SegmentProps) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [imageError, setImageError] = useState<string | null>(null);
  const graphemes = graphemeCount(segment.text);
  const bytes = byteCount(segment.text);
  const level = counterLevel(graphemes, bytes);
  const id = `seg-${segment.id}`;
  const label = count > 1 ? `Post ${index + 1} of ${count}` : "Post text";

  async function addFiles(e: ChangeEvent<HTMLInputElement>) {
    const files = Array.from(e.target.files ?? []);
    e.target.value = "";
    setImageError(null);
    const room = MAX_IMAGES - segment.images.length;
    if (files.length > room) setImageError(`A post can have at most ${MAX_IMAGES} images; only the first ${Math.max(room, 0)} were added.`);
    const added: DraftImage[] = [];
    for (const file of files.slice(0, Math.max(room, 0))) {
      if (!ACCEPTED.includes(file.type)) {
        setImageError(`${file.name}: use a PNG, JPEG, WebP or GIF image.`);
        continue;
      }
      if (file.size > MAX_IMAGE_BYTES) {
        setImageError(`${file.name} is ${(file.size / 1_000_000).toFixed(1)} MB; Bluesky takes images up to 1 MB.`);
        continue;
      }
      added.push({ id: newId(), name: file.name, mimeType: file.type, data: await readBase64(file), alt: "" });
    }
    if (added.length > 0) onChange({ ...segment, images: [...segment.images, ...added] });
  }

  const setImage = (img: DraftImage) => onChange({ ...segment, images: segment.images.map((i) => (i.id === img.id ? img : i)) });

  return (
    <div className="composer-seg" role="group" aria-label={label}>
      <div className="row" style={{ marginBottom: "0.4rem" }}>
        <label htmlFor={id} style={{ margin: 0 }}>
          {label}
        </label>
        <span className="spacer" />
        <span id={`${id}-count`} className={`counter ${level}`} aria-live="polite" title={`${bytes} of ${MAX_BYTES} bytes`}>
          {graphemes}/{MAX_GRAPHEMES}
          {bytes > MAX_BYTES - 200 ? ` · ${bytes}/${MAX_BYTES} bytes` : ""}
        </span>
      </div>
      <HighlightedTextarea
        id={id}
        label={label}
        value={segment.text}
        onChange={(text) => onChange({ ...segment, text })}
        invalid={level === "over"}
        describedBy={`${id}-count`}
        placeholder={index === 0 ? "What's happening? Links, @mentions and #tags are linked for you." : "Continue the thread…"}
      />
      {problems.map((p) => (
        <p key={p} className="field-error" role="alert">
          {p}
        </p>
      ))}
      {level === "over" && problems.length === 0 && (
        <p className="field-error">
          {graphemes > MAX_GRAPHEMES ? `${graphemes - MAX_GRAPHEMES} characters over Bluesky's limit of ${MAX_GRAPHEMES}.` : `${bytes - MAX_BYTES} bytes over Bluesky's limit of ${MAX_BYTES} bytes.`}
        </p>
      )}
      {segment.images.length > 0 && (
        <div className="images">
          {segment.images.map((img, i) => {
            const missing = showAltErrors && img.alt.trim() === "";
            return (
              <div className="image-tile" key={img.id}>
                <img src={`data:${img.mimeType};base64,${img.data}`} alt={img.alt || `Image ${i + 1} (no description yet)`} />
                <label htmlFor={`${img.id}-alt`}>Alt text (required)</label>
                <textarea
                  id={`${img.id}-alt`}
                  value={img.alt}
                  onChange={(e) => setImage({ ...img, alt: e.target.value })}
                  aria-invalid={missing || undefined}
                  placeholder="Describe the image"
                />
                {missing && <p className="field-error">Describe this image for people who cannot see it.</p>}
                <button type="button" className="btn-quiet btn-small" style={{ marginTop: "0.3rem" }} onClick={() => onChange({ ...segment, images: segment.images.filter((x) => x.id !== img.id) })}>
                  Remove image
                </button>
              </div>
            );
          })}
        </div>
      )}
      {imageError && <p className="field-error">{imageError}</p>}
      <div className="btn-row" style={{ marginTop: "0.6rem" }}>
        <input ref={fileInput} type="file" accept={ACCEPTED.join(",")} multiple hidden onChange={(e) => void addFiles(e)} aria-label={`Add images to ${label}`} />
        <button type="button" className="btn-secondary btn-small" disabled={segment.images.length >= MAX_IMAGES} onClick={() => fileInput.current?.click()}>
          Add image ({segment.images.length}/{MAX_IMAGES})
        </button>
        {count > 1 && (
          <>
            <button type="button" className="btn-quiet btn-small" disabled={index === 0} onClick={() => onMove(-1)} aria-label={`Move ${label} up`}>
              ↑ Up
            </button>
            <button type="button" className="btn-quiet btn-small" disabled={index === count - 1} onClick={() => onMove(1)} aria-label={`Move ${label} down`}>
              ↓ Down
            </button>
            <button type="button" className="btn-danger btn-small" onClick={onRemove} aria-label={`Remove ${label}`}>
              Remove
            </button>
          </>
        )}
      </div>
    </div>
  );
}
