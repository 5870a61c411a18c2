import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { type Answer, api, UNAUTHORIZED_EVENT } from './api';
import { setDisplayZone } from './format';

export type Me = Answer<'/auth/me'>;

interface SessionValue {
  me: Me | null;
  /** True until the first /auth/me answer. */
  checking: boolean;
  login(login: string, password: string): Promise<void>;
  logout(): Promise<void>;
  /** Reads /auth/me again (after a change to the workspace, e.g. its time zone). */
  refresh(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  const accept = useCallback((m: Me | null) => {
    if (m) setDisplayZone(m.workspace.timezone);
    setMe(m);
  }, []);
  useEffect(() => {
    api
      .get('/auth/me')
      .then(accept, () => accept(null))
      .finally(() => setChecking(false));
    const onUnauthorized = () => setMe(null);
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, [accept]);
  const login = useCallback(
    async (loginName: string, password: string) => {
      accept(await api.post('/auth/login', { login: loginName, password }));
    },
    [accept],
  );
  const logout = useCallback(async () => {
    await api.post('/auth/logout').catch(() => undefined);
    setMe(null);
  }, []);
  const refresh = useCallback(async () => {
    accept(await api.get('/auth/me'));
  }, [accept]);
  return <SessionContext.Provider value={{ me, checking, login, logout, refresh }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

/** The logged-in user (pages behind the login only). */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('not logged in');
  return me;
}

export type Permission = Me['permissions'][number];

/** Whether the user's role has this permission (the server checks it again on every call). */
export function can(me: Me, permission: Permission): boolean {
  return me.permissions.includes(permission);
}

export function canSeePii(role: string): boolean {
  return role === 'owner' || role === 'admin';
}
