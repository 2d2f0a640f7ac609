"use client";

import { useRef, useState, type ChangeEvent } from "react";
import { uploadMedia } from "../../components/api";
import type { PlatformDescriptor } from "../../lib/api/platform";
import type { DraftVideo } from "./draft";

type VideoLimits = NonNullable<PlatformDescriptor["video"]>;

export interface VideoPickerProps {
  video: DraftVideo | undefined;
  /** The chosen platforms' video limits; undefined when one of them takes no video. */
  limits: VideoLimits | undefined;
  /** Images in this post: a video cannot join them (Bluesky's rule). */
  hasImages: boolean;
  label: string;
  showAltErrors: boolean;
  /** Changes the video wherever the segment is now (an upload ends after other edits). */
  onVideo(update: (v: DraftVideo | undefined) => DraftVideo | undefined): void;
}

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(bytes < 1_000_000 ? 2 : 0)} MB`;

/**
 * branch video: one video per post with its alt text and one caption file (WebVTT), uploaded on
 * pick like images. Its limits come from the platform descriptors (GET /api/platforms).
 */
export function VideoPicker({ video, limits, hasImages, label, showAltErrors, onVideo }: VideoPickerProps) {
  const videoInput = useRef<HTMLInputElement>(null);
  const captionInput = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);

  async function pickVideo(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = "";
    setError(null);
    if (!file || !limits) return;
    if (!limits.types.includes(file.type)) return setError(`${file.name}: use an mp4 video.`);
    if (file.size > limits.maxBytes) return setError(`${file.name} is ${mb(file.size)}; videos can be up to ${mb(limits.maxBytes)}.`);
    onVideo(() => ({ name: file.name, alt: "" }));
    const res = await uploadMedia(file);
    if (res.ok) onVideo((v) => (v && v.name === file.name ? { ...v, mediaId: res.data.media.id } : v));
    else {
      onVideo(() => undefined);
      setError(`${file.name}: ${res.error.message}`);
    }
  }

  async function pickCaptions(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = "";
    setError(null);
    if (!file || !limits) return;
    if (file.size > limits.captionMaxBytes) return setError(`${file.name} is ${file.size.toLocaleString()} bytes; caption files can be up to ${limits.captionMaxBytes.toLocaleString()}.`);
    onVideo((v) => v && { ...v, captions: { name: file.name, lang: v.captions?.lang ?? "en" } });
    const res = await uploadMedia(file);
    if (res.ok) onVideo((v) => v && v.captions && { ...v, captions: { ...v.captions, mediaId: res.data.media.id } });
    else {
      onVideo((v) => v && { ...v, captions: undefined });
      setError(`${file.name}: ${res.error.message}`);
    }
  }

  if (!limits) {
    // A chosen platform (or, with none chosen, some platform) takes no video: say so where the button would be.
    return video ? (
      <p className="field-error">Only Bluesky takes video: choose only Bluesky accounts for this post, or remove the video.</p>
    ) : (
      <button type="button" className="btn-secondary btn-small" disabled title="Only Bluesky takes video: choose only Bluesky accounts">
        Add video (Bluesky only)
      </button>
    );
  }
  const missingAlt = showAltErrors && video !== undefined && video.alt.trim() === "";
  return (
    <>
      {video && (
        <div className="image-tile" style={{ marginTop: "0.6rem" }}>
          <p className="small" role="status" style={{ margin: 0 }}>
            {video.mediaId ? `Video: ${video.name}` : `Uploading ${video.name}…`}
          </p>
          <label htmlFor={`${label}-video-alt`}>Video alt text (required)</label>
          <textarea
            id={`${label}-video-alt`}
            value={video.alt}
            maxLength={limits.maxAltLength}
            onChange={(e) => {
              const alt = e.target.value;
              onVideo((v) => v && { ...v, alt });
            }}
            aria-invalid={missingAlt || undefined}
            placeholder="Describe the video"
          />
          {missingAlt && <p className="field-error">Describe this video for people who cannot see it.</p>}
          <div className="row" style={{ marginTop: "0.3rem", gap: "0.4rem" }}>
            <input ref={captionInput} type="file" accept={[".vtt", ...limits.captionTypes].join(",")} hidden onChange={(e) => void pickCaptions(e)} aria-label={`Add captions to ${label}`} />
            <button type="button" className="btn-quiet btn-small" onClick={() => captionInput.current?.click()}>
              {video.captions ? `Captions: ${video.captions.name}${video.captions.mediaId ? "" : " (uploading…)"}` : "Add captions (.vtt)"}
            </button>
            {video.captions && (
              <>
                <label htmlFor={`${label}-captions-lang`} style={{ margin: 0 }}>
                  Language
                </label>
                <input
                  id={`${label}-captions-lang`}
                  value={video.captions.lang}
                  size={6}
                  onChange={(e) => {
                    const lang = e.target.value.trim();
                    onVideo((v) => v && v.captions && { ...v, captions: { ...v.captions, lang } });
                  }}
                />
              </>
            )}
          </div>
          <button type="button" className="btn-quiet btn-small" style={{ marginTop: "0.3rem" }} onClick={() => onVideo(() => undefined)}>
            Remove video
          </button>
        </div>
      )}
      {error && <p className="field-error">{error}</p>}
      <input ref={videoInput} type="file" accept={limits.types.join(",")} hidden onChange={(e) => void pickVideo(e)} aria-label={`Add a video to ${label}`} />
      <button
        type="button"
        className="btn-secondary btn-small"
        disabled={video !== undefined || hasImages}
        title={hasImages ? "A post has either one video or images, not both" : `One mp4 up to ${mb(limits.maxBytes)}, not with images`}
        onClick={() => videoInput.current?.click()}
      >
        Add video
      </button>
    </>
  );
}

/** The video limits every chosen platform shares (the strictest), or undefined when one takes no video. */
export function sharedVideoLimits(platforms: PlatformDescriptor[]): VideoLimits | undefined {
  if (platforms.length === 0 || platforms.some((p) => !p.video)) return undefined;
  const all = platforms.map((p) => p.video!);
  return {
    maxBytes: Math.min(...all.map((v) => v.maxBytes)),
    types: all.map((v) => v.types).reduce((a, b) => a.filter((t) => b.includes(t))),
    maxAltLength: Math.min(...all.map((v) => v.maxAltLength)),
    maxCaptions: Math.min(...all.map((v) => v.maxCaptions)),
    captionMaxBytes: Math.min(...all.map((v) => v.captionMaxBytes)),
    captionTypes: all.map((v) => v.captionTypes).reduce((a, b) => a.filter((t) => b.includes(t))),
  };
}
