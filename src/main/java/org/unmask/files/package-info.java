/**
 * Durable, all-or-nothing writes: one file ({@link org.unmask.files.AtomicFile}) or a whole directory
 * ({@link org.unmask.files.AtomicDirectory}), staged under hidden sibling names, fsynced and renamed into place.
 * Below every other package.
 */
package org.unmask.files;
