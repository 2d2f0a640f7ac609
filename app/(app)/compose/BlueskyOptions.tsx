"use client";

import { LABELS, LANGUAGES, MAX_LANGS, quoteTarget, type DraftRich } from "./richOptions";

/** Languages (up to 3), link card, quote, self-labels, reply control and quote-disable for Bluesky. */
export function BlueskyOptions({ value, onChange }: { value: DraftRich; onChange(r: DraftRich): void }) {
  const set = (patch: Partial<DraftRich>) => onChange({ ...value, ...patch });
  const toggle = (list: string[], item: string) => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);
  const badQuote = value.quote.trim() !== "" && !quoteTarget(value.quote);
  return (
    <fieldset aria-label="Bluesky options">
      <legend>Bluesky options</legend>
      <div role="group" aria-label="Languages">
        <p className="small" style={{ margin: "0 0 0.2rem" }}>
          Languages ({value.langs.length}/{MAX_LANGS})
        </p>
        <div className="lang-choices">
          {LANGUAGES.map(([tag, name]) => {
            const checked = value.langs.includes(tag);
            return (
              <label key={tag} className="account-choice small">
                <input type="checkbox" checked={checked} disabled={!checked && value.langs.length >= MAX_LANGS} onChange={() => set({ langs: toggle(value.langs, tag) })} />
                {name}
              </label>
            );
          })}
        </div>
      </div>
      <label className="account-choice">
        <input type="checkbox" checked={value.linkCard} onChange={(e) => set({ linkCard: e.target.checked })} /> Show a card for the first link
      </label>
      <label htmlFor="bsky-quote">Quote a post (link or at:// URI)</label>
      <input
        id="bsky-quote"
        type="url"
        value={value.quote}
        placeholder="https://bsky.app/profile/…/post/…"
        aria-invalid={badQuote || undefined}
        onChange={(e) => set({ quote: e.target.value })}
      />
      {badQuote && <p className="field-error">Paste the link of a Bluesky post (https://bsky.app/profile/…/post/…).</p>}
      <div role="group" aria-label="Content warnings">
        <p className="small" style={{ margin: "0.5rem 0 0.2rem" }}>
          Content warnings
        </p>
        {LABELS.map((l) => (
          <label key={l.value} className="account-choice small">
            <input type="checkbox" checked={value.labels.includes(l.value)} onChange={() => set({ labels: toggle(value.labels, l.value) })} /> {l.label}
          </label>
        ))}
      </div>
      <label htmlFor="bsky-replies">Who can reply</label>
      <select id="bsky-replies" value={value.replyControl} onChange={(e) => set({ replyControl: e.target.value as DraftRich["replyControl"] })}>
        <option value="everyone">Everyone</option>
        <option value="nobody">Nobody</option>
        <option value="mention">People you mention</option>
        <option value="following">People you follow</option>
        <option value="followers">Your followers</option>
      </select>
      <label className="account-choice">
        <input type="checkbox" checked={value.disableQuotes} onChange={(e) => set({ disableQuotes: e.target.checked })} /> Don&apos;t allow quote posts
      </label>
    </fieldset>
  );
}
