/** A referenced image or video is gone (its file or row): publishing cannot go on, and retrying will not help. */
export class MediaMissingError extends Error {
  constructor(mediaId: string) {
    super(`medium ${mediaId} is no longer in the media store (restore it from a backup, or edit the post)`);
    this.name = "MediaMissingError";
  }
}
