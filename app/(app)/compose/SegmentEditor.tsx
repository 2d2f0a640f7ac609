"use client";

import { useRef, useState, type ChangeEvent } from "react";
import { uploadMedia } from "../../components/api";
import type { PlatformDescriptor } from "../../lib/api/platform";
import { lengthLevel, textLength } from "../../components/platforms";
import { newId, type DraftImage, type DraftSegment, type DraftVideo } from "./draft";
import { HighlightedTextarea } from "./HighlightedTextarea";
import { sharedVideoLimits, VideoPicker } from "./VideoPicker";


export interface SegmentProps {
  segment: DraftSegment;
  index: number;
  count: number;
  showAltErrors: boolean;
  /** What the API said about this part. */
  problems: string[];
  /** The platforms of the chosen accounts (all platforms while none is chosen): one counter each. */
  platforms: PlatformDescriptor[];
  onChange(s: DraftSegment): void;
  /** Changes one image wherever it is now (an upload ends after other edits); undefined removes it. */
  onImage(imageId: string, patch: Partial<DraftImage> | undefined): void;
  /** branch video: changes this segment's video wherever the segment is now. */
  onVideo(update: (v: DraftVideo | undefined) => DraftVideo | undefined): void;
  onRemove(): void;
  onMove(delta: -1 | 1): void;
}

/** One post of the thread: text with its own counters, up to four images with alt text. */
export function SegmentEditor({ segment, index, count, showAltErrors, problems, platforms, onChange, onImage, onVideo, onRemove, onMove }: SegmentProps) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [imageError, setImageError] = useState<string | null>(null);
  const counters = platforms.map((p) => {
    const length = textLength(p, segment.text);
    return { platform: p, length, level: lengthLevel(length, p.text.maxLength) };
  });
  const level = counters.some((c) => c.level === "over") ? "over" : counters.some((c) => c.level === "warn") ? "warn" : "ok";
  // Images must suit every chosen platform: the strictest limits win.
  const MAX_IMAGES = Math.min(4, ...platforms.map((p) => p.media.maxCount));
  const MAX_IMAGE_BYTES = Math.min(...platforms.map((p) => p.media.maxBytes), Number.MAX_SAFE_INTEGER);
  const ACCEPTED = platforms.length > 0 ? platforms.map((p) => p.media.types).reduce((a, b) => a.filter((t) => b.includes(t))) : [];
  const id = `seg-${segment.id}`;
  const label = count > 1 ? `Post ${index + 1} of ${count}` : "Post text";

  async function addFiles(e: ChangeEvent<HTMLInputElement>) {
    const files = Array.from(e.target.files ?? []);
    e.target.value = "";
    setImageError(null);
    const room = MAX_IMAGES - segment.images.length;
    if (files.length > room) setImageError(`A post can have at most ${MAX_IMAGES} images; only the first ${Math.max(room, 0)} were added.`);
    const added: Array<{ image: DraftImage; file: File }> = [];
    for (const file of files.slice(0, Math.max(room, 0))) {
      if (!ACCEPTED.includes(file.type)) {
        setImageError(`${file.name}: use a PNG, JPEG, WebP or GIF image.`);
        continue;
      }
      if (file.size > MAX_IMAGE_BYTES) {
        setImageError(`${file.name} is ${(file.size / 1_000_000).toFixed(1)} MB; the chosen platforms take images up to ${(MAX_IMAGE_BYTES / 1_000_000).toFixed(1)} MB.`);
        continue;
      }
      added.push({ image: { id: newId(), name: file.name, mimeType: file.type, alt: "" }, file });
    }
    if (added.length === 0) return;
    onChange({ ...segment, images: [...segment.images, ...added.map((a) => a.image)] });
    // Uploaded on pick: the post later names them by id. The server checks type and size.
    await Promise.all(
      added.map(async ({ image, file }) => {
        const res = await uploadMedia(file);
        if (res.ok) onImage(image.id, { mediaId: res.data.media.id, mimeType: res.data.media.mimeType, thumbnailUrl: res.data.media.thumbnailUrl ?? undefined });
        else {
          onImage(image.id, undefined);
          setImageError(`${file.name}: ${res.error.message}`);
        }
      }),
    );
  }

  const setImage = (img: DraftImage) => onChange({ ...segment, images: segment.images.map((i) => (i.id === img.id ? img : i)) });

  return (
    <div className="composer-seg" role="group" aria-label={label}>
      <div className="row" style={{ marginBottom: "0.4rem" }}>
        <label htmlFor={id} style={{ margin: 0 }}>
          {label}
        </label>
        <span className="spacer" />
        <span id={`${id}-count`} aria-live="polite">
          {counters.map((c) => (
            <span key={c.platform.label} className={`counter ${c.level}`} data-counter={c.platform.name} title={`${c.platform.label} allows ${c.platform.text.maxLength}`}>
              {counters.length > 1 ? `${c.platform.label} ` : ""}
              {c.length}/{c.platform.text.maxLength}{" "}
            </span>
          ))}
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
          {counters
            .filter((c) => c.level === "over")
            .map((c) => `${c.length - c.platform.text.maxLength} characters over ${c.platform.label}'s limit of ${c.platform.text.maxLength}.`)
            .join(" ")}
        </p>
      )}
      {segment.images.length > 0 && (
        <div className="images">
          {segment.images.map((img, i) => {
            const missing = showAltErrors && img.alt.trim() === "";
            return (
              <div className="image-tile" key={img.id}>
                {img.thumbnailUrl ? (
                  <img src={img.thumbnailUrl} alt={img.alt || `Image ${i + 1} (no description yet)`} />
                ) : (
                  <p className="muted" role="status">
                    Uploading {img.name}…
                  </p>
                )}
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
        <button
          type="button"
          className="btn-secondary btn-small"
          disabled={segment.images.length >= MAX_IMAGES || segment.video !== undefined}
          title={segment.video ? "A post has either one video or images, not both" : undefined}
          onClick={() => fileInput.current?.click()}
        >
          Add image ({segment.images.length}/{MAX_IMAGES})
        </button>
        <VideoPicker
          video={segment.video}
          limits={sharedVideoLimits(platforms)}
          hasImages={segment.images.length > 0}
          label={label}
          showAltErrors={showAltErrors}
          onVideo={onVideo}
        />
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
