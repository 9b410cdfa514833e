"""The journey as acts: waiting for an agent, being served, after the service.

:func:`peakend.engine.journey.journey` is a short loop over three acts, each a
SimPy generator function of its own module that reads the
:class:`~peakend.engine.context.JourneyContext` and one small immutable value
describing the current contact (:class:`~peakend.engine.acts.contact.Contact`):

1. :mod:`~peakend.engine.acts.waiting`: the contact queues (told the expected
   wait, the customer may balk or take a virtual hold), is answered, or gives
   up and perhaps tries again later (a retry is the next contact);
2. :mod:`~peakend.engine.acts.service`: the agent works on the problem and the
   service's result is settled (:class:`~peakend.engine.acts.contact.Service`);
3. :mod:`~peakend.engine.acts.after`: the agent's last words while still on the
   line (farewell, bad news, apology, coupon, alternative), the agent lets go,
   and the story goes on to the next contact (next stage, transfer, callback,
   escalation, repeat contact) or ends.

Each lever family lives in one module with its journey steps:
:mod:`~peakend.engine.acts.closing` (closing and extras: farewell, delight,
alternative, bad news first or last), :mod:`~peakend.engine.acts.recovery`
(apology, coupon, callback, a hidden defect found, the repeat contact) and
:mod:`~peakend.engine.acts.routing` (stages, transfer, escalation, overflow).
The after-service act runs an ordered tuple of steps chosen once per scenario
(:func:`~peakend.engine.acts.after.steps_of`): a new lever that acts after a
service adds its step there (see that module for the two extension points).

The acts count nothing and feel nothing: they report facts
(:mod:`peakend.engine.facts`) at the simulated time they happen, and every
random decision comes from the customer's own draws for that contact.
"""
