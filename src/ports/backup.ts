/** A backup taken while the node runs: one file that `postbridge restore` puts back into an empty data directory. */
export interface BackupSource {
  /** The media type of the file, e.g. application/vnd.sqlite3. */
  contentType: string
  /**
   * Takes the snapshot; the stream is the file. `omitTokenIds` are left out of the copy (a one-off token that
   * downloads the backup must not live on in it).
   */
  create(opts?: { omitTokenIds?: string[] }): Promise<ReadableStream<Uint8Array>>
}
