/** Small inline icons: shape and colour both carry the severity (never colour alone). */
import type { Severity } from '../../../protocol/enums.ts';

export function SeverityIcon(props: { severity: Severity }) {
  return (
    <svg class="sev-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      {props.severity === 'Critical' ? (
        <>
          <path d="M5 1h6l4 4v6l-4 4H5l-4-4V5z" fill="currentColor" />
          <path d="M7.1 4h1.8l-.3 5H7.4zM7.1 10.5h1.8v1.8H7.1z" fill="var(--sev-icon-ink)" />
        </>
      ) : props.severity === 'High' ? (
        <>
          <path d="M8 1.2 15.2 14H.8z" fill="currentColor" />
          <path d="M7.2 5.5h1.6l-.3 4.2H7.5zM7.2 10.8h1.6v1.6H7.2z" fill="var(--sev-icon-ink)" />
        </>
      ) : props.severity === 'Medium' ? (
        <path d="M8 1.5 14.5 8 8 14.5 1.5 8z" fill="currentColor" />
      ) : (
        <circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="2.2" />
      )}
    </svg>
  );
}

export function Icon(props: { name: 'sun' | 'moon' | 'auto' | 'download' | 'plus' | 'close' | 'search' | 'bolt' }) {
  const paths: Record<string, string> = {
    sun: 'M8 4.5a3.5 3.5 0 1 1 0 7 3.5 3.5 0 0 1 0-7zM7.3 0h1.4v2.5H7.3zM7.3 13.5h1.4V16H7.3zM0 7.3h2.5v1.4H0zM13.5 7.3H16v1.4h-2.5zM2.1 3.1l1-1 1.8 1.8-1 1zM11.1 12.1l1-1 1.8 1.8-1 1zM2.1 12.9l1.8-1.8 1 1-1.8 1.8zM11.1 3.9l1.8-1.8 1 1-1.8 1.8z',
    moon: 'M6 1a7 7 0 1 0 9 9A6 6 0 0 1 6 1z',
    auto: 'M8 1a7 7 0 1 1 0 14A7 7 0 0 1 8 1zm0 1.6v10.8A5.4 5.4 0 0 0 8 2.6z',
    download: 'M7.2 1h1.6v7.2l2.6-2.6 1.1 1.1L8 11.2 3.5 6.7l1.1-1.1 2.6 2.6zM2 13h12v1.6H2z',
    plus: 'M7.2 2h1.6v5.2H14v1.6H8.8V14H7.2V8.8H2V7.2h5.2z',
    close: 'M3.4 2.3 8 6.9l4.6-4.6 1.1 1.1L9.1 8l4.6 4.6-1.1 1.1L8 9.1l-4.6 4.6-1.1-1.1L6.9 8 2.3 3.4z',
    search:
      'M6.5 1a5.5 5.5 0 0 1 4.4 8.8l4.1 4.1-1.1 1.1-4.1-4.1A5.5 5.5 0 1 1 6.5 1zm0 1.6a3.9 3.9 0 1 0 0 7.8 3.9 3.9 0 0 0 0-7.8z',
    bolt: 'M9.5 0 3 9h4l-1 7 7-9.5H9z',
  };
  return (
    <svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path d={paths[props.name]} fill="currentColor" fill-rule="evenodd" />
    </svg>
  );
}
