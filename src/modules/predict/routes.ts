import { z } from 'zod';
import { principalOf, type ModuleRoutes } from '../http.js';
import { calibrationOut, modelOut, predictSettings } from './schema.js';
import { getCalibration, getModel, getPredictSettings, requestRefit, setPredictSettings } from './service.js';

export const predictRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['predict'];
  app.get(
    '/predict/model',
    {
      config: { permission: 'analytics:read' },
      schema: {
        tags,
        summary:
          'The fitted BG/NBD + Gamma-Gamma model: parameters (time ' +
          'unit: day), fit time, settings and the holdout calibration',
        response: { 200: modelOut },
      },
    },
    async (req) => getModel(ctx, principalOf(req).workspaceId),
  );
  app.post(
    '/predict/refit',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: 'Refit the model now, as a background job (it also runs nightly)',
        response: { 202: z.object({ jobId: z.string() }) },
      },
    },
    async (req, reply) => reply.code(202).send(await requestRefit(ctx, principalOf(req).workspaceId)),
  );
  app.get(
    '/predict/calibration',
    {
      config: { permission: 'analytics:read' },
      schema: {
        tags,
        summary:
          'Predicted vs actual repeat orders in the holdout period, ' +
          'by repeat purchases before it: how far to trust the model',
        response: { 200: calibrationOut },
      },
    },
    async (req) => getCalibration(ctx, principalOf(req).workspaceId),
  );
  app.get(
    '/predict/settings',
    {
      config: { permission: 'analytics:read' },
      schema: {
        tags,
        summary: 'CLV horizon, monthly discount rate and holdout length',
        response: { 200: predictSettings },
      },
    },
    async (req) => getPredictSettings(ctx, principalOf(req).workspaceId),
  );
  app.put(
    '/predict/settings',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: 'Change the CLV horizon, monthly discount rate or holdout length (used from the next fit)',
        body: predictSettings,
        response: { 200: predictSettings },
      },
    },
    async (req) => setPredictSettings(ctx, principalOf(req).workspaceId, req.body),
  );
};
