package org.unmask.hub;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a pull did.
 *
 * @param ref        the repository and revision asked for
 * @param commit     the commit the revision resolved to
 * @param snapshot   {@code snapshots/COMMIT}, the model directory to load
 * @param files      files of the commit that passed the filter (all of them in the snapshot now)
 * @param downloaded files whose content was downloaded now
 * @param bytes      bytes downloaded now
 * @param took       wall time
 * @param fromCache  true when offline mode answered from the cache without asking the Hub
 */
public record PullResult(RepoRef ref, String commit, Path snapshot, int files, int downloaded, long bytes,
                         Duration took, boolean fromCache) {

    /** Files that were already in the cache (from an earlier pull, another commit or the Python tools). */
    public int reused() { return files - downloaded; }

    /** One line for the user. */
    public String summary() {
        if (fromCache) return ref + " (" + commit.substring(0, 8) + ") from the cache (offline): " + snapshot;
        return String.format("%s (%s): %d file%s, %d downloaded (%s in %s), %d already in the cache",
                ref, commit.substring(0, 8), files, files == 1 ? "" : "s", downloaded, DownloadProgress.bytes(bytes),
                DownloadProgress.duration(took.toMillis() / 1000.0), reused());
    }
}
