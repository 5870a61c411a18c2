/** Console page paths with ids that may carry ':' or Chinese (system segments: "sys:activity:双11 2025"). */
export const segmentPath = (id: string) => `/segments/${encodeURIComponent(id)}`;
