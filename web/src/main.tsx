import { App as AntApp, ConfigProvider } from 'antd';
// The ES builds: the CommonJS `antd/locale/*` reached the bundle as a wrapped module, so antd fell back
// to its English texts ("Start date", "No data") in the Chinese UI.
import enUS from 'antd/es/locale/en_US';
import zhCN from 'antd/es/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { useTranslation } from 'react-i18next';
import { createBrowserRouter, RouterProvider } from 'react-router-dom';
import './i18n';
import { AppRoutes } from './routes';
import { SessionProvider } from './session';
import './styles.css';

// A form's submit handler awaits `form.validateFields()`, which rejects when a field is wrong: the form shows why
// beside the field, so that rejection is no error of the page (22 handlers; an import started without a store showed
// up as an uncaught error).
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason && typeof e.reason === 'object' && Array.isArray((e.reason as { errorFields?: unknown }).errorFields))
    e.preventDefault();
});

// A data router, so a page with unsaved edits can hold a navigation (useBlocker); the app's own
// <Routes> live under its one catch-all route.
const router = createBrowserRouter([{ path: '*', element: <AppRoutes /> }]);

function Root() {
  const { i18n } = useTranslation();
  // Month and weekday names in date pickers follow the UI language too.
  dayjs.locale(i18n.language === 'en' ? 'en' : 'zh-cn');
  return (
    <ConfigProvider
      locale={i18n.language === 'en' ? enUS : zhCN}
      theme={{
        token: {
          colorPrimary: '#fa541c',
          borderRadius: 6,
          fontFamily:
            "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'PingFang SC', " +
            "'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif",
        },
      }}
    >
      <AntApp>
        <SessionProvider>
          <RouterProvider router={router} />
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
