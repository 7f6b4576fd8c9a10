"""How ``veille schedule`` runs its jobs (the jobs themselves are listed in ``scheduler.py``).

* :mod:`~veille.service.jobs`: what a job is, and when its ticks fall;
* :mod:`~veille.service.leader`: one leadership term, kept and fenced;
* :mod:`~veille.service.execute`: one tick, claimed in the run log and run;
* :mod:`~veille.service.bodies`: stage jobs (through ``run_pipeline``) and crawl jobs;
* :mod:`~veille.service.service`: the service loop, APScheduler as its clock, ``--once``.
"""
