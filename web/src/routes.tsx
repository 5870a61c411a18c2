import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { Loading } from './components/Status';
import { Shell } from './layout/Shell';
import { LoginPage } from './pages/Login';
import { Result } from 'antd';
import { reasonText } from './errors';
import { can, type Permission, useSession } from './session';

// One chunk per page: the first screen loads only what it shows.
const Dashboard = lazy(() => import('./pages/Dashboard'));
const CustomerList = lazy(() => import('./pages/customers/CustomerList'));
const CustomerDetail = lazy(() => import('./pages/customers/CustomerDetail'));
const Segments = lazy(() => import('./pages/segments/Segments'));
const SegmentEditor = lazy(() => import('./pages/segments/SegmentEditor'));
const Members = lazy(() => import('./pages/Members'));
const Points = lazy(() => import('./pages/Points'));
const Coupons = lazy(() => import('./pages/Coupons'));
const Automations = lazy(() => import('./pages/Automations'));
const Imports = lazy(() => import('./pages/Imports'));
const Analytics = lazy(() => import('./pages/Analytics'));
const Settings = lazy(() => import('./pages/Settings'));
const Campaigns = lazy(() => import('./pages/campaigns/Campaigns'));
const CampaignWizard = lazy(() => import('./pages/campaigns/CampaignWizard'));
const CampaignReport = lazy(() => import('./pages/campaigns/CampaignReport'));
const CampaignCompare = lazy(() => import('./pages/campaigns/CampaignCompare'));
const Tasks = lazy(() => import('./pages/tasks/Tasks'));

function RequireLogin({ children }: { children: React.ReactNode }) {
  const { me, checking } = useSession();
  const location = useLocation();
  if (checking)
    return (
      <div style={{ padding: 48 }}>
        <Loading />
      </div>
    );
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

/**
 * A page a role may not open, reached by its address (the menu hides it): one line saying why, not the page's own
 * form beside the server's refusal of its first request.
 */
function Needs({ permission, children }: { permission: Permission; children: React.ReactNode }) {
  const { me } = useSession();
  if (me && !can(me, permission))
    return (
      <div data-testid="page-forbidden">
        <Result
          status="403"
          subTitle={reasonText({ key: 'auth.permission', params: { role: me.user.role, permission } }, '')}
        />
      </div>
    );
  return <>{children}</>;
}

/** The dashboard, or the customer list for a role without analytics (a service agent). */
function Home() {
  const { me } = useSession();
  return me && !can(me, 'analytics:read') ? <Navigate to="/customers" replace /> : <Dashboard />;
}

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          element={
            <RequireLogin>
              <Shell />
            </RequireLogin>
          }
        >
          <Route index element={<Home />} />
          <Route path="customers" element={<CustomerList />} />
          <Route path="customers/:id" element={<CustomerDetail />} />
          <Route path="segments" element={<Segments />} />
          <Route path="segments/new" element={<SegmentEditor />} />
          <Route path="segments/:id" element={<SegmentEditor />} />
          <Route path="members" element={<Members />} />
          <Route path="points" element={<Points />} />
          <Route path="coupons" element={<Coupons />} />
          <Route
            path="campaigns"
            element={
              <Needs permission="campaigns:read">
                <Campaigns />
              </Needs>
            }
          />
          <Route path="campaigns/new" element={<CampaignWizard />} />
          <Route path="campaigns/compare" element={<CampaignCompare />} />
          <Route path="campaigns/:id/edit" element={<CampaignWizard />} />
          <Route path="campaigns/:id" element={<CampaignReport />} />
          <Route
            path="automations"
            element={
              <Needs permission="campaigns:read">
                <Automations />
              </Needs>
            }
          />
          <Route
            path="tasks"
            element={
              <Needs permission="tasks:read">
                <Tasks />
              </Needs>
            }
          />
          <Route
            path="analytics"
            element={
              <Needs permission="analytics:read">
                <Analytics />
              </Needs>
            }
          />
          <Route
            path="imports"
            element={
              <Needs permission="import">
                <Imports />
              </Needs>
            }
          />
          <Route path="settings" element={<Settings />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
